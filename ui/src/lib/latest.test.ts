import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, Latest } from './latest';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('search replies', () => {
  it('drops a reply that arrives after a newer search was sent', async () => {
    const latest = new Latest();
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = latest.run(() => slow.promise);
    const second = latest.run(() => fast.promise);
    fast.resolve('张伟');
    slow.resolve('张');
    expect(await second).toEqual({ stale: false, value: '张伟' });
    expect(await first).toEqual({ stale: true });
  });

  it('swallows the error of a stale search but throws the current one', async () => {
    const latest = new Latest();
    const old = deferred<string>();
    const stale = latest.run(() => old.promise);
    const now = latest.run(() => Promise.reject({ code: 'invalid', message: 'bad' }));
    old.reject(new Error('gone'));
    expect(await stale).toEqual({ stale: true });
    await expect(now).rejects.toEqual({ code: 'invalid', message: 'bad' });
  });

  it('makes runs in flight stale when the view is left', async () => {
    const latest = new Latest();
    const d = deferred<number>();
    const run = latest.run(() => d.promise);
    latest.invalidate();
    d.resolve(1);
    expect(await run).toEqual({ stale: true });
  });
});

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once after typing pauses, with the last text', () => {
    const calls: string[] = [];
    const d = debounce((s: string) => calls.push(s), 120);
    d('张');
    vi.advanceTimersByTime(100);
    d('张伟');
    vi.advanceTimersByTime(119);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['张伟']);
  });

  it('can be cancelled or flushed', () => {
    const calls: number[] = [];
    const d = debounce((n: number) => calls.push(n), 120);
    d(1);
    d.cancel();
    vi.advanceTimersByTime(500);
    d(2);
    d.flush();
    expect(calls).toEqual([2]);
  });
});
