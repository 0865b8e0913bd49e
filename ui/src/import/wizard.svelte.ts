// The import wizard's state, kept at module level so that leaving the page (to check a
// resident, say) and coming back finds the wizard where it was, even mid-import. The same
// steps import a resident roster or a volunteer roster (`kind`), each through its own calls.
import { api, CANCELLED, toApiError, type ImportEvent, type ImportPreview, type ImportRequest, type SavedMapping } from '../lib/backend';
import { volunteerImport } from '../lib/backend/volunteerImport';
import { dataChanged } from '../lib/app.svelte';
import { locale, t } from '../lib/i18n/index.svelte';
import { fail } from '../lib/toasts.svelte';
import { detectedColumns, requestColumns, sheetsIn, type Column } from '../lib/import/mapping';
import type { AnyReport, RosterKind } from './kind';

export const STEPS = ['choose', 'sheets', 'mapping', 'dryRun', 'run', 'report'] as const;
export type Step = (typeof STEPS)[number];

class Wizard {
  /** Which roster the file is; chosen first, kept across imports. */
  kind = $state<RosterKind>('residents');
  step = $state<Step>('choose');
  path = $state('');
  preview = $state<ImportPreview | null>(null);
  /** One sheet's name, or null for every sheet with a header. */
  sheet = $state<string | null>(null);
  columns = $state<Column[]>([]);
  dry = $state<AnyReport | null>(null);
  report = $state<AnyReport | null>(null);
  progress = $state<{ done: number; expected: number } | null>(null);
  busy = $state<null | 'reading' | 'dry' | 'run'>(null);
  cancelling = $state(false);
  /** A message about the last step, shown in place (the cancelled import). */
  notice = $state<string | null>(null);
  /** Bumped when the history changes (an import or an undo). */
  historyVersion = $state(0);

  async open(path: string): Promise<void> {
    const p = path.trim();
    if (!p || this.busy) return;
    this.path = p;
    this.busy = 'reading';
    try {
      const preview = this.kind === 'volunteers' ? await volunteerImport.preview(p) : await api.importPreview(p);
      this.reset();
      this.path = p;
      this.preview = preview;
      this.chooseSheet(null);
      this.step = 'sheets';
    } catch (e) {
      fail(e);
    } finally {
      this.busy = null;
    }
  }

  /** Switches between a resident and a volunteer roster; a file already read is let go. */
  chooseKind(kind: RosterKind): void {
    if (kind === this.kind || this.busy) return;
    this.reset();
    this.kind = kind;
  }

  /** A dry run or the import of the chosen kind of roster. */
  private importRun(request: ImportRequest): Promise<AnyReport> {
    const onEvent = (e: ImportEvent) => this.onEvent(e);
    return this.kind === 'volunteers' ? volunteerImport.run(request, onEvent) : api.importRun(request, onEvent);
  }

  /** Saved mappings of the chosen kind (their fields differ, so each kind keeps its own). */
  mappingsList(): Promise<SavedMapping[]> {
    return this.kind === 'volunteers' ? volunteerImport.mappingsList() : api.mappingsList();
  }

  mappingSave(mapping: SavedMapping): Promise<SavedMapping[]> {
    return this.kind === 'volunteers' ? volunteerImport.mappingSave(mapping) : api.mappingSave(mapping);
  }

  async pick(): Promise<void> {
    try {
      const path = await api.pickFile('roster');
      if (path !== null) await this.open(path);
    } catch (e) {
      fail(e);
    }
  }

  chooseSheet(sheet: string | null): void {
    this.sheet = sheet;
    this.columns = this.preview ? detectedColumns(sheetsIn(this.preview, sheet)) : [];
  }

  request(dryRun: boolean): ImportRequest {
    return {
      path: this.preview?.path ?? this.path,
      sheet: this.sheet,
      columns: requestColumns(this.columns),
      dry_run: dryRun,
      lang: locale.lang,
    };
  }

  async dryRun(): Promise<void> {
    this.step = 'dryRun';
    this.dry = null;
    this.notice = null;
    this.busy = 'dry';
    this.progress = null;
    try {
      this.dry = await this.importRun(this.request(true));
    } catch (e) {
      fail(e);
      this.step = 'mapping';
    } finally {
      this.busy = null;
      this.progress = null;
    }
  }

  async run(): Promise<void> {
    this.step = 'run';
    this.notice = null;
    this.busy = 'run';
    this.cancelling = false;
    this.progress = { done: 0, expected: this.dry?.rows_read ?? 0 };
    try {
      this.report = await this.importRun(this.request(false));
      this.step = 'report';
      this.historyVersion += 1;
      void dataChanged();
    } catch (e) {
      if (toApiError(e).code === CANCELLED) {
        this.notice = t('import.cancelled');
      } else {
        fail(e);
      }
      this.step = 'dryRun';
    } finally {
      this.busy = null;
      this.cancelling = false;
    }
  }

  private onEvent(e: ImportEvent) {
    const fallback = this.dry?.rows_read ?? 0;
    if (e.kind === 'started') this.progress = { done: 0, expected: e.rows_expected || fallback };
    else this.progress = { done: e.rows_done, expected: e.rows_expected || fallback };
  }

  async cancel(): Promise<void> {
    this.cancelling = true;
    try {
      await api.importCancel();
    } catch (e) {
      this.cancelling = false;
      fail(e);
    }
  }

  reset(): void {
    this.step = 'choose';
    this.path = '';
    this.preview = null;
    this.sheet = null;
    this.columns = [];
    this.dry = null;
    this.report = null;
    this.progress = null;
    this.notice = null;
  }
}

export const wizard = new Wizard();
