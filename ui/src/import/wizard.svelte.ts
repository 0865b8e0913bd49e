// The import wizard's state, kept at module level so that leaving the page (to check a
// resident, say) and coming back finds the wizard where it was, even mid-import.
import { api, CANCELLED, toApiError, type ImportEvent, type ImportPreview, type ImportReport, type ImportRequest } from '../lib/backend';
import { dataChanged } from '../lib/app.svelte';
import { locale, t } from '../lib/i18n/index.svelte';
import { fail } from '../lib/toasts.svelte';
import { detectedColumns, requestColumns, sheetsIn, type Column } from '../lib/import/mapping';

export const STEPS = ['choose', 'sheets', 'mapping', 'dryRun', 'run', 'report'] as const;
export type Step = (typeof STEPS)[number];

class Wizard {
  step = $state<Step>('choose');
  path = $state('');
  preview = $state<ImportPreview | null>(null);
  /** One sheet's name, or null for every sheet with a header. */
  sheet = $state<string | null>(null);
  columns = $state<Column[]>([]);
  dry = $state<ImportReport | null>(null);
  report = $state<ImportReport | null>(null);
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
      const preview = await api.importPreview(p);
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
      this.dry = await api.importRun(this.request(true), (e) => this.onEvent(e));
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
      this.report = await api.importRun(this.request(false), (e) => this.onEvent(e));
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
