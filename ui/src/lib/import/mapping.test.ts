import { describe, expect, it } from 'vitest';
import type { ImportPreview, SheetPreview } from '../backend';
import { applySaved, cellsFor, detectedColumns, duplicateFields, isChanged, mappingPairs, requestColumns, setField, sheetsIn } from './mapping';

const sheet = (name: string, headers: [string, string][], header_row: number | null = 2): SheetPreview => ({
  name,
  header_row,
  columns: headers.map(([header, field]) => ({ header, field })),
  rows: [{ row: 3, cells: headers.map(([h]) => `${h}1`) }],
  rows_hint: 10,
});

const preview: ImportPreview = {
  path: '/tmp/r.xlsx', file: 'r.xlsx', format: 'xlsx', encoding: null,
  fields: ['name', 'phone', 'building', 'attribute', 'ignore'],
  sheets: [
    sheet('一网格', [['姓名', 'name'], ['手机', 'phone'], ['楼号', 'attribute']]),
    sheet('说明', [['填表说明', 'attribute']], null),
    sheet('二网格', [['姓名', 'name'], ['固话', 'phone'], ['楼号', 'attribute']]),
  ],
};

describe('mapping step', () => {
  it('lists one sheet, or every sheet with a header, headers once each', () => {
    expect(sheetsIn(preview, '说明').map((s) => s.name)).toEqual(['说明']);
    const all = sheetsIn(preview, null);
    expect(all.map((s) => s.name)).toEqual(['一网格', '二网格']);
    expect(detectedColumns(all).map((c) => c.header)).toEqual(['姓名', '手机', '楼号', '固话']);
  });

  it('sends every column as shown, changed or not, in the sheet order', () => {
    const cols = detectedColumns(sheetsIn(preview, '一网格'));
    expect(isChanged(cols)).toBe(false);
    expect(requestColumns(cols)).toEqual([['姓名', 'name'], ['手机', 'phone'], ['楼号', 'attribute']]);
    const edited = setField(cols, '楼号', 'building');
    expect(isChanged(edited)).toBe(true);
    expect(requestColumns(edited)).toEqual([['姓名', 'name'], ['手机', 'phone'], ['楼号', 'building']]);
    // Setting it back is no change at all.
    expect(isChanged(setField(edited, '楼号', 'attribute'))).toBe(false);
    // A sheet without columns leaves the importer to detect.
    expect(requestColumns([])).toBeNull();
  });

  it('applies a saved mapping to the headers it knows and counts them', () => {
    const cols = detectedColumns(sheetsIn(preview, '一网格'));
    const r = applySaved(cols, { name: 'x', columns: [['楼号', 'building'], ['不存在', 'name']] });
    expect(r.matched).toBe(1);
    expect(mappingPairs(r.columns)).toEqual([['姓名', 'name'], ['手机', 'phone'], ['楼号', 'building']]);
  });

  it('flags two columns read as the same field, except phones and kept columns', () => {
    const cols = detectedColumns(sheetsIn(preview, null));
    expect(duplicateFields(cols)).toEqual([]);
    expect(duplicateFields(setField(cols, '楼号', 'name'))).toEqual(['name']);
  });

  it('lays preview cells under the shown columns', () => {
    const cols = detectedColumns(sheetsIn(preview, null));
    expect(cellsFor(preview.sheets[2], cols)).toEqual([['姓名1', '', '楼号1', '固话1']]);
  });
});
