// The mapping step's logic: which columns the official sees, what they changed, and what goes
// to the importer. A mapping is keyed by header text (as the importer's mapping file is), so
// with "all sheets" a header shared by several sheets is mapped once for all of them.
import type { ImportPreview, SavedMapping, SheetPreview } from '../backend';

export interface Column {
  header: string;
  /** What the official chose: a field key, `attribute` or `ignore`. */
  field: string;
  /** What the importer detected. */
  detected: string;
}

/** Fields a roster may legitimately fill from several columns (a second phone is kept). */
const REPEATABLE = new Set(['attribute', 'ignore', 'phone']);

/** The sheets an import of `sheet` reads: that one, or every sheet with a header (all). */
export function sheetsIn(preview: ImportPreview, sheet: string | null): SheetPreview[] {
  if (sheet !== null) return preview.sheets.filter((s) => s.name === sheet);
  const withHeader = preview.sheets.filter((s) => s.header_row !== null);
  return withHeader.length > 0 ? withHeader : preview.sheets;
}

/** Every column of these sheets, once per header text, in order of first appearance. */
export function detectedColumns(sheets: SheetPreview[]): Column[] {
  const seen = new Set<string>();
  const out: Column[] = [];
  for (const s of sheets) {
    for (const c of s.columns) {
      if (c.header === '' || seen.has(c.header)) continue;
      seen.add(c.header);
      out.push({ header: c.header, field: c.field, detected: c.field });
    }
  }
  return out;
}

export function setField(columns: Column[], header: string, field: string): Column[] {
  return columns.map((c) => (c.header === header ? { ...c, field } : c));
}

/** Applies a saved mapping to the headers it names; returns how many columns it matched. */
export function applySaved(columns: Column[], saved: SavedMapping): { columns: Column[]; matched: number } {
  const byHeader = new Map(saved.columns);
  let matched = 0;
  const next = columns.map((c) => {
    const f = byHeader.get(c.header);
    if (f === undefined) return c;
    matched += 1;
    return { ...c, field: f };
  });
  return { columns: next, matched };
}

export function isChanged(columns: Column[]): boolean {
  return columns.some((c) => c.field !== c.detected);
}

/** Every column as header → field, for saving under a name. */
export function mappingPairs(columns: Column[]): [string, string][] {
  return columns.map((c) => [c.header, c.field]);
}

/** What the import request carries: every column as the official saw it in the mapping step,
 * changed or not, so what is imported is exactly what was shown (never a second detection). */
export function requestColumns(columns: Column[]): [string, string][] | null {
  return columns.length > 0 ? mappingPairs(columns) : null;
}

/** Fields chosen for more than one column, which the importer could not tell apart. */
export function duplicateFields(columns: Column[]): string[] {
  const count = new Map<string, number>();
  for (const c of columns) if (!REPEATABLE.has(c.field)) count.set(c.field, (count.get(c.field) ?? 0) + 1);
  return [...count].filter(([, n]) => n > 1).map(([f]) => f);
}

/** A sheet's preview cells under the given columns (cells of a header not shown are dropped). */
export function cellsFor(sheet: SheetPreview, columns: Column[]): string[][] {
  const index = new Map(sheet.columns.map((c, i) => [c.header, i]));
  return sheet.rows.map((r) => columns.map((c) => {
    const i = index.get(c.header);
    return i === undefined ? '' : (r.cells[i] ?? '');
  }));
}
