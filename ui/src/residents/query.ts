// The residents page's query as the backend wants it: blocks of BLOCK rows at offsets that are
// multiples of BLOCK, every filter present (null when unset), the search text trimmed.
import type { ResidentQuery } from '../lib/backend';
import { BLOCK } from '../lib/table/blocks';

export interface Filter {
  text: string;
  community: string | null;
  grid: string | null;
  tag: string | null;
}

export function queryAt(f: Filter, offset: number): ResidentQuery {
  return { text: f.text.trim(), community: f.community, grid: f.grid, tag: f.tag, offset, limit: BLOCK };
}
