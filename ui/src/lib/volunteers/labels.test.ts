import { describe, expect, it } from 'vitest';
import type { Reason } from '../backend';
import { setLang } from '../i18n/index.svelte';
import { canConfirm, isActive, movesFor, needsReason, reasonText, reasonTone, reliability, reliabilityShort, shortTime } from './labels';

const skill = (k: string) => ({ delivery: '送货跑腿', driving: '驾车接送' })[k] ?? k;
const text = (r: Reason) => reasonText(r, skill);

describe('reliability', () => {
  it('is done among done and missed, rounded down, from 3 tasks on', () => {
    expect(reliability({ done: 2, no_show: 0, late: 0, last_no_show: false })).toEqual({ known: false, tasks: 2 });
    expect(reliability({ done: 2, no_show: 1, late: 1, last_no_show: true })).toEqual({ known: true, percent: 66, done: 2, noShow: 1, late: 1 });
    expect(reliability({ done: 9, no_show: 1, late: 0, last_no_show: false })).toMatchObject({ percent: 90 });
    setLang('zh-CN');
    expect(reliabilityShort({ done: 1, no_show: 0, late: 0, last_no_show: false })).toBe('新志愿者');
    setLang('en');
    expect(reliabilityShort({ done: 1, no_show: 0, late: 0, last_no_show: false })).toBe('New');
    expect(reliabilityShort({ done: 0, no_show: 3, late: 0, last_no_show: true })).toBe('0%');
  });
});

describe('the ranking’s reasons in words', () => {
  it('names every reason in Chinese, with its figures', () => {
    setLang('zh-CN');
    expect(text({ code: 'skills', matched: ['delivery', 'driving'], missing: [] })).toBe('技能符合：送货跑腿、驾车接送');
    expect(text({ code: 'skills', matched: [], missing: ['driving'] })).toBe('缺少技能：驾车接送');
    expect(text({ code: 'skills', matched: ['delivery'], missing: ['driving'] })).toBe('有 送货跑腿，缺 驾车接送');
    expect(text({ code: 'same_grid' })).toBe('同一网格');
    expect(text({ code: 'same_community' })).toBe('同一社区');
    expect(text({ code: 'same_street' })).toBe('同一街道');
    expect(text({ code: 'other_street' })).toBe('不在同一街道');
    expect(text({ code: 'available_now' })).toBe('现在有空');
    expect(text({ code: 'available_then' })).toBe('预约时段有空');
    expect(text({ code: 'not_stated' })).toBe('未填服务时间');
    expect(text({ code: 'unavailable', next_from_ms: null })).toBe('现在没空');
    const at = new Date(2026, 2, 2, 18, 0).getTime();
    expect(text({ code: 'unavailable', next_from_ms: at })).toBe(`现在没空，${shortTime(at)} 起有空`);
    expect(shortTime(at)).toContain('18:00');
    expect(text({ code: 'outside_hours' })).toBe('预约时段不在其服务时间内');
    expect(text({ code: 'load', current: 1, capacity: 3 })).toBe('已有任务 1/3');
    expect(text({ code: 'at_capacity', capacity: 2 })).toBe('任务已满（2 件）');
    const to = new Date(2026, 2, 2, 20, 30).getTime();
    expect(text({ code: 'overlap', from_ms: at, to_ms: to })).toMatch(/^与已约时段冲突 .*18:00–20:30$/);
    expect(text({ code: 'reliability', done: 9, no_show: 1, late: 0, percent: 90 })).toBe('可靠率 90%');
    expect(text({ code: 'new_volunteer' })).toBe('新志愿者');
    expect(text({ code: 'missed_last_task' })).toBe('上次未到场');
    expect(text({ code: 'health', status: 'quarantined' })).toBe('集中隔离');
    expect(text({ code: 'inactive' })).toBe('已停用');
  });

  it('and in English', () => {
    setLang('en');
    expect(text({ code: 'skills', matched: ['delivery'], missing: ['driving'] })).toBe('Has 送货跑腿, lacks 驾车接送');
    expect(text({ code: 'load', current: 2, capacity: 2 })).toBe('Tasks 2/2');
    expect(text({ code: 'at_capacity', capacity: 1 })).toBe('At capacity (1)');
    expect(text({ code: 'reliability', done: 3, no_show: 1, late: 2, percent: 75 })).toBe('Reliable 75%');
    expect(text({ code: 'health', status: 'isolating' })).toBe('Isolating at home');
    expect(text({ code: 'unavailable', next_from_ms: null })).toBe('Not free now');
    setLang('zh-CN');
  });

  it('weighs them: for, against, or why someone cannot be sent', () => {
    expect(reasonTone({ code: 'same_grid' })).toBe('good');
    expect(reasonTone({ code: 'skills', matched: [], missing: ['x'] })).toBe('bad');
    expect(reasonTone({ code: 'skills', matched: ['y'], missing: ['x'] })).toBe('warn');
    expect(reasonTone({ code: 'reliability', done: 5, no_show: 5, late: 0, percent: 50 })).toBe('bad');
    expect(reasonTone({ code: 'missed_last_task' })).toBe('bad');
    for (const r of [{ code: 'at_capacity', capacity: 1 }, { code: 'inactive' }, { code: 'health', status: 'unwell' }, { code: 'overlap', from_ms: 0, to_ms: 1 }] as Reason[]) {
      expect(reasonTone(r)).toBe('block');
    }
  });
});

describe('what an official can record', () => {
  it('follows the assignment’s forward-only states', () => {
    expect(movesFor('proposed')).toEqual(['accept', 'decline', 'start', 'done', 'no_show', 'release']);
    expect(movesFor('accepted')).not.toContain('accept');
    expect(movesFor('started')).toEqual(['done', 'release']);
    for (const s of ['done', 'declined', 'no_show', 'released', 'cancelled'] as const) expect(movesFor(s)).toEqual([]);
    expect(isActive('started')).toBe(true);
    expect(isActive('done')).toBe(false);
    expect(needsReason('decline') && needsReason('release')).toBe(true);
    expect(needsReason('no_show') || needsReason('done')).toBe(false);
  });

  it('confirms a done task once', () => {
    const a = { status: 'done', confirmed_by: null } as Parameters<typeof canConfirm>[0];
    expect(canConfirm(a)).toBe(true);
    expect(canConfirm({ ...a, confirmed_by: 'official' })).toBe(false);
    expect(canConfirm({ ...a, status: 'started' })).toBe(false);
  });
});
