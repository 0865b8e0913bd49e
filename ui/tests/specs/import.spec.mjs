// The import wizard against the recorded import: choose, sheet, mapping (changed and saved),
// dry run with rejected rows, a cancelled run, the run with progress, the report, the export
// of rejected rows, and undo from the history. Names and values come from the fixture.
import { assert } from '../harness/spec.mjs';

const sheetOption = (t, name) => t.page.locator(`[data-testid=sheet-option][data-sheet="${name ?? ''}"]`);
const column = (t, header) => t.page.locator(`[data-testid=mapping-column][data-header="${header}"]`);

async function setColumns(t, pairs) {
  for (const [header, field] of pairs) await column(t, header).selectOption(field);
}

async function toImport(t) {
  await t.open();
  await t.id('nav-import').click();
  await t.visible('import-choose');
}

async function toMapping(t) {
  const req = t.call('dry_run').args.request;
  await sheetOption(t, req.sheet).click();
  await t.id('import-next').click();
  await t.visible('mapping-column');
}

async function toDryRun(t) {
  await toImport(t);
  await t.id('import-choose').click();
  await t.visible('sheet-option');
  await toMapping(t);
  await setColumns(t, t.call('dry_run').args.request.columns);
  await t.id('import-next').click();
  await t.visible('dry-run-counts');
}

export default [
  {
    name: 'import wizard: choose, sheet, mapping, dry run, cancel, import, report, export',
    async run(t) {
      await toImport(t);
      await t.id('import-choose').click();
      await t.visible('sheet-option');
      const preview = t.call('preview').ok;
      assert.equal(await t.count('sheet-option'), preview.sheets.length + 1);
      const headless = preview.sheets.find((s) => s.header_row === null);
      if (headless) assert.match(await sheetOption(t, headless.name).textContent(), /表头/);
      await toMapping(t);

      // Change columns as the saved mapping has them, save it under its name.
      const saved = t.call('mapping_save').args.mapping;
      await setColumns(t, saved.columns);
      const changed = saved.columns.filter(([h, f]) => preview.sheets.some((s) => s.columns.some((c) => c.header === h && c.field !== f)));
      if (changed.length) assert.match(await column(t, changed[0][0]).getAttribute('class'), /changed/);
      await t.id('mapping-save-name').fill(saved.name);
      await t.id('mapping-save').click();
      await t.until(async () => (await t.log()).some((c) => c.name === 'mapping_save'), 'mapping saved');

      // The dry run with the columns the recorded run used.
      const dry = t.call('dry_run').ok;
      await setColumns(t, t.call('dry_run').args.request.columns);
      await t.id('import-next').click();
      await t.visible('dry-run-counts');
      assert.match(await t.text('dry-run-counts'), new RegExp(t.num(dry.created)));
      assert.equal(await t.count('rejected-row'), Math.min(dry.rejected.length, 200));
      assert.match(await t.id('rejected-row').first().textContent(), new RegExp(dry.rejected[0].message.slice(0, 6)));

      // A cancelled run: progress shows, then nothing written and back to the dry run.
      await t.ipc('force', 'import_run', 'run_cancelled');
      await t.ipc('slow', 'import_run', 900);
      await t.id('import-start').click();
      await t.visible('import-progress');
      await t.visible('import-cancel');
      if (t.has('import_cancel')) await t.id('import-cancel').click();
      await t.visible('import-notice');
      await t.visible('import-start');

      // The run, with its recorded progress events.
      const run = t.call('run').ok;
      await t.ipc('slow', 'import_run', 600);
      await t.id('import-start').click();
      await t.visible('import-progress');
      const events = t.fixture.events?.run ?? [];
      if (events.some((e) => e.kind === 'progress')) {
        await t.until(async () => Number(await t.id('import-progress').getAttribute('data-done')) > 0, 'progress moves');
      }
      await t.visible('import-report', 8000);
      assert.match(await t.text('report-created'), new RegExp(t.num(run.created)));
      assert.match(await t.text('report-updated'), new RegExp(t.num(run.updated)));
      assert.match(await t.text('report-rejected'), new RegExp(t.num(run.rejected.length)));

      await t.id('rejected-export').click();
      await t.until(async () => (await t.texts('toast')).includes(t.call('pick_rejected').ok), 'export confirmed');
      assert.ok((await t.log()).some((c) => c.name === 'rejected_export'));
    },
  },
  {
    name: 'history: undo an import after confirming',
    async run(t) {
      await toImport(t);
      const undo = t.call('undo');
      const row = t.page.locator(`[data-testid=history-row][data-batch="${undo.args.batch_id}"]`);
      await row.waitFor();
      await row.getByTestId('history-undo').click();
      await t.visible('undo-dialog');
      await t.id('undo-confirm').click();
      await t.gone('undo-dialog');
      await t.until(async () => (await t.text('undo-result')).includes(t.num(undo.ok.removed)), 'undo result');
    },
  },
  {
    name: 'import opens a pasted path, a dropped file, and saves the template',
    async run(t) {
      await toImport(t);
      const path = t.call('preview').args.path;
      await t.id('import-path').fill(path);
      await t.id('import-open').click();
      await t.visible('sheet-option');

      await t.id('nav-residents').click();
      await t.visible('resident-table');
      await t.ipc('drop', [path]);
      await t.visible('sheet-option');

      await t.page.getByRole('button', { name: '上一步' }).click();
      await t.id('import-template').click();
      await t.until(async () => (await t.texts('toast')).includes(t.call('template_save').args.path), 'template saved');
    },
  },
  {
    name: 'dry run shows counts and rejected rows',
    async run(t) {
      await toDryRun(t);
      const dry = t.call('dry_run').ok;
      assert.match(await t.text('dry-run-counts'), new RegExp(t.num(dry.rows_read)));
    },
  },
];
