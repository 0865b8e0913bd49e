// Which roster the wizard imports (residents or volunteers), and what tells their reports
// apart, so each step shows the figures and labels of the roster chosen.
import type { ImportReport, KnownVolunteer, RowProblem, VolunteerImportReport } from '../lib/backend';
import { fieldLabel } from '../lib/i18n/index.svelte';
import { volunteerFieldLabel } from '../lib/i18n/volunteerImport';

export type RosterKind = 'residents' | 'volunteers';
export const KINDS: readonly RosterKind[] = ['residents', 'volunteers'];

export type AnyReport = ImportReport | VolunteerImportReport;

export function isVolunteerReport(r: AnyReport): r is VolunteerImportReport {
  return 'existing' in r;
}

/** What the problem lists show of either report. */
export interface ProblemLists {
  rejected: RowProblem[];
  warnings: RowProblem[];
  duplicates: ImportReport['duplicates'];
  skipped_sheets: ImportReport['skipped_sheets'];
  existing?: KnownVolunteer[];
}

/** A column's field as the official reads it, in the words of the roster's kind. */
export function fieldLabelFor(kind: RosterKind): (field: string) => string {
  return kind === 'volunteers' ? volunteerFieldLabel : fieldLabel;
}

/** The rows a report accounts for: read, plus nothing lost (for a quick check of a report). */
export function rowsAccountedFor(r: AnyReport): number {
  const skipped = r.duplicates.length + (isVolunteerReport(r) ? r.existing.length : r.updated + r.unchanged);
  return r.created + r.rejected.length + skipped;
}
