import { describe, expect, it } from 'vitest';
import { ago, connection, count, normaliseUrl, percent, setsDistrict } from './sync';
import type { SyncStatus } from './backend';

const base: SyncStatus = {
  logged_in: true, online: true, server_url: 'https://x', user_name: 'a', display_name: 'A', role: 'grid_official',
  scope_path: '', district: '南湖区', revoked: false, waiting: 0, conflicts: 0, last_sync_at: null,
  last_attempt_at: null, last_error: null, last_error_code: null, cursor: 0, head: 0,
};

describe('connection', () => {
  it('says demo, logged out, revoked, online, offline and untrusted', () => {
    expect(connection(base, true)).toBe('demo');
    expect(connection(null, false)).toBe('logged-out');
    expect(connection({ ...base, logged_in: false, online: false }, false)).toBe('logged-out');
    expect(connection({ ...base, revoked: true, logged_in: false }, false)).toBe('revoked');
    const tried = { ...base, last_attempt_at: '2026-03-01T08:00:20+00:00' };
    expect(connection(tried, false)).toBe('online');
    expect(connection({ ...tried, online: false }, false)).toBe('offline');
    // A server whose certificate is not trusted is not offline: waiting will not bring it back.
    expect(connection({ ...tried, online: false, last_error_code: 'offline' }, false)).toBe('offline');
    expect(connection({ ...tried, online: false, last_error_code: 'untrusted' }, false)).toBe('untrusted');
    // Just logged in: the login reached the server, no sync has been tried yet.
    expect(connection({ ...base, online: false }, false)).toBe('online');
  });
});

describe('ago', () => {
  const now = Date.parse('2024-03-05T10:00:00Z');
  it('uses the largest unit that says it', () => {
    expect(ago('2024-03-05T09:59:30Z', now)).toEqual({ unit: 'now' });
    expect(ago('2024-03-05T09:57:00Z', now)).toEqual({ unit: 'm', n: 3 });
    expect(ago('2024-03-05T05:00:00Z', now)).toEqual({ unit: 'h', n: 5 });
    expect(ago('2024-03-04T09:00:00Z', now)).toEqual({ unit: 'h', n: 25 });
    expect(ago('2024-03-01T10:00:00Z', now)).toEqual({ unit: 'd', n: 4 });
  });
  it('reads a time ahead of this clock as just now, and refuses garbage', () => {
    expect(ago('2024-03-05T10:02:00Z', now)).toEqual({ unit: 'now' });
    expect(ago('yesterday', now)).toBeNull();
  });
});

describe('percent', () => {
  it('never shows 100 before the end', () => {
    expect(percent({ phase: 'pull', done: 0, total: 0 })).toBe(0);
    expect(percent({ phase: 'pull', done: 4999, total: 5000 })).toBe(99);
    expect(percent({ phase: 'pull', done: 5000, total: 5000 })).toBe(100);
    expect(percent({ phase: 'pull', done: 1250, total: 5000 })).toBe(25);
  });
});

describe('count and urls', () => {
  it('reads numbers and bigints alike', () => {
    expect(count(3n)).toBe(3);
    expect(count(7 as unknown as bigint)).toBe(7);
    expect(count(null)).toBe(0);
  });
  it('normalises a typed server address', () => {
    expect(normaliseUrl(' sync.nanhu.gov.cn/ ')).toBe('https://sync.nanhu.gov.cn');
    expect(normaliseUrl('http://10.0.0.5:8080')).toBe('http://10.0.0.5:8080');
    expect(normaliseUrl('')).toBe('');
  });
});

describe('setsDistrict', () => {
  it('lets district supervisors, city admins and a store not yet logged in set district settings', () => {
    expect(setsDistrict('district_supervisor')).toBe(true);
    expect(setsDistrict('city_admin')).toBe(true);
    expect(setsDistrict(null)).toBe(true);
    expect(setsDistrict('grid_official')).toBe(false);
    expect(setsDistrict('street_official')).toBe(false);
  });
});
