import { describe, expect, it } from 'vitest';
import type { ImportReport, VolunteerImportReport } from '../lib/backend';
import { setLang } from '../lib/i18n/index.svelte';
import { fieldLabelFor, isVolunteerReport, rowsAccountedFor } from './kind';

const base = {
  file: 'v.csv', format: 'csv', encoding: 'gbk', sheets: [], skipped_sheets: [], rows_read: 8, created: 3,
  blank_rows: 1, warnings: [], dry_run: false, seconds: 0.1,
  rejected: [1, 2, 3].map((row) => ({ sheet: 'v.csv', row, field: 'skills', code: 'unknown_skill', message: '…' })),
  duplicates: [{ sheet: 'v.csv', row: 6, same_as_row: 3, same_as_sheet: 'v.csv' }],
};
const volunteers: VolunteerImportReport = {
  ...base,
  existing: [{ sheet: 'v.csv', row: 9, volunteer_id: 'x', name: '陈红' }],
  linked_residents: 1, areas_created: 2, volunteer_ids: ['a', 'b', 'c'], import_id: 'i',
};
const residents: ImportReport = { ...base, updated: 1, unchanged: 0, batch_id: 'b' };

describe('roster kinds', () => {
  it('tell a volunteer report from a resident report', () => {
    expect(isVolunteerReport(volunteers)).toBe(true);
    expect(isVolunteerReport(residents)).toBe(false);
  });

  it('account for every row read, whatever became of it', () => {
    expect(rowsAccountedFor(volunteers)).toBe(8);
    expect(rowsAccountedFor(residents)).toBe(8);
  });

  it('label fields in the words of the roster kind', () => {
    setLang('zh-CN');
    expect(fieldLabelFor('volunteers')('attribute')).toBe('写进备注');
    expect(fieldLabelFor('residents')('attribute')).toBe('保留为附加信息');
    expect(fieldLabelFor('volunteers')('skills')).toBe('技能');
  });
});
