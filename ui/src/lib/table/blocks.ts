// Rows of one query, fetched in blocks of BLOCK rows at offsets that are multiples of BLOCK and
// kept until the query changes. A reply for an older query is dropped: the official has
// typed on since, and showing it would flash wrong rows.

export const BLOCK = 100;

export interface Page<R> {
  total: number;
  offset: number;
  rows: R[];
}

export type FetchBlock<R> = (offset: number, limit: number) => Promise<Page<R>>;

export class BlockCache<R> {
  total: number | null = null;
  private blocks = new Map<number, R[]>();
  private pending = new Set<number>();
  private generation = 0;
  private fetchBlock: FetchBlock<R>;

  /** `changed` runs after each block lands (to re-render); `failed` after a fetch fails. */
  constructor(
    fetchBlock: FetchBlock<R>,
    private changed: () => void,
    private failed: (e: unknown) => void,
  ) {
    this.fetchBlock = fetchBlock;
  }

  /** A new query: forget every row and every request in flight. */
  reset(fetchBlock: FetchBlock<R>): void {
    this.fetchBlock = fetchBlock;
    this.generation += 1;
    this.blocks.clear();
    this.pending.clear();
    this.total = null;
  }

  /** Takes a block fetched outside the cache (the query's first block, fetched before the
   * cache replaces the one on screen, so the table never flashes empty while typing). */
  seed(page: Page<R>): void {
    this.blocks.set(page.offset, page.rows);
    this.total = page.total;
  }

  row(index: number): R | undefined {
    const offset = Math.floor(index / BLOCK) * BLOCK;
    return this.blocks.get(offset)?.[index - offset];
  }

  has(offset: number): boolean {
    return this.blocks.has(offset);
  }

  /** Fetches the blocks at these offsets that are neither cached nor on their way. */
  ensure(offsets: number[]): Promise<void> {
    const wanted = offsets.filter((o) => !this.blocks.has(o) && !this.pending.has(o));
    return Promise.all(wanted.map((o) => this.load(o))).then(() => undefined);
  }

  private async load(offset: number): Promise<void> {
    const generation = this.generation;
    this.pending.add(offset);
    try {
      const page = await this.fetchBlock(offset, BLOCK);
      if (generation !== this.generation) return;
      this.blocks.set(offset, page.rows);
      this.total = page.total;
      this.changed();
    } catch (e) {
      if (generation === this.generation) this.failed(e);
    } finally {
      if (generation === this.generation) this.pending.delete(offset);
    }
  }
}
