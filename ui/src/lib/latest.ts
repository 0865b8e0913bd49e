// Keeping only the newest answer: the search box fires a request per pause in typing, and the
// replies can come back in any order. A reply to an older request is dropped.

export class Latest {
  private issued = 0;

  /** Runs `work`; resolves to its value, or to `stale` when a newer run started meanwhile.
   * An error is thrown only if this run is still the newest. */
  async run<T>(work: () => Promise<T>): Promise<{ stale: false; value: T } | { stale: true }> {
    const mine = ++this.issued;
    try {
      const value = await work();
      return mine === this.issued ? { stale: false, value } : { stale: true };
    } catch (e) {
      if (mine !== this.issued) return { stale: true };
      throw e;
    }
  }

  /** Makes every run in flight stale (the view they were for is gone). */
  invalidate(): void {
    this.issued += 1;
  }
}

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  flush(): void;
}

/** Calls `fn` once typing pauses for `ms`, with the last arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: A | null = null;
  const run = () => {
    timer = null;
    if (last) {
      const args = last;
      last = null;
      fn(...args);
    }
  };
  const d = (...args: A) => {
    last = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    last = null;
  };
  d.flush = () => {
    if (timer !== null) clearTimeout(timer);
    run();
  };
  return d;
}

/** How long the search box waits after the last key before asking. */
export const SEARCH_DEBOUNCE_MS = 120;
