import { describe, expect, it } from 'vitest';
import { BlockCache, type Page } from './blocks';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('block cache', () => {
  it('fetches each block once and serves its rows', async () => {
    const asked: number[] = [];
    const cache = new BlockCache<number>(async (offset, limit) => {
      asked.push(offset);
      return { total: 250, offset, rows: Array.from({ length: Math.min(limit, 250 - offset) }, (_, i) => offset + i) };
    }, () => {}, () => {});
    await Promise.all([cache.ensure([0, 100]), cache.ensure([100, 200])]);
    await cache.ensure([0, 100, 200]);
    expect(asked).toEqual([0, 100, 200]);
    expect(cache.row(0)).toBe(0);
    expect(cache.row(249)).toBe(249);
    expect(cache.row(250)).toBeUndefined();
    expect(cache.total).toBe(250);
  });

  it('drops a block that lands after the query changed', async () => {
    const late = deferred<Page<string>>();
    const cache = new BlockCache<string>(() => late.promise, () => {}, () => {});
    const loading = cache.ensure([0]);
    cache.reset(async (offset) => ({ total: 1, offset, rows: ['new'] }));
    await cache.ensure([0]);
    late.resolve({ total: 9, offset: 0, rows: ['old'] });
    await loading;
    expect(cache.row(0)).toBe('new');
    expect(cache.total).toBe(1);
  });

  it('reports a failed block and lets it be asked again', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const cache = new BlockCache<number>(async (offset) => {
      if (fail) throw { code: 'io', message: 'disk' };
      return { total: 1, offset, rows: [7] };
    }, () => {}, (e) => errors.push(e));
    await cache.ensure([0]);
    expect(errors).toHaveLength(1);
    fail = false;
    await cache.ensure([0]);
    expect(cache.row(0)).toBe(7);
  });
});
