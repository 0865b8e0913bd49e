// Pictures of the main screens at 1280×800 for review, written to tests/out/.
async function residents(t) {
  await t.id('nav-residents').click();
  const first = t.call('page_0').ok.rows[0].name;
  await t.until(async () => (await t.id('resident-row').first().textContent()).includes(first), 'rows');
}

async function detail(t) {
  await t.id('resident-row').first().click();
  await t.until(async () => (await t.text('detail-panel')).includes(t.call('detail').ok.resident.name), 'detail');
}

export default [
  {
    name: 'screenshots',
    async run(t) {
      await t.open({ prefer: ['app_info_first_start'] });
      await t.visible('welcome-dialog');
      await t.shot('welcome');
      await t.id('welcome-demo').click();
      await t.gone('welcome-dialog');
      await t.ipc('prefer', ['app_info_demo']);
      await t.until(async () => (await t.page.locator('svg[role=img] rect').count()) > 0, 'chart');
      await t.shot('dashboard');

      await residents(t);
      await t.shot('residents');
      await detail(t);
      await t.id('reveal-phone').click();
      await t.until(async () => (await t.text('detail-panel')).includes(t.call('reveal_phone').ok), 'revealed');
      await t.shot('residents-detail');
      await t.id('detail-edit').click();
      await t.shot('residents-edit');
      await t.page.keyboard.press('Escape');
      await t.page.keyboard.press('Escape');

      await t.id('theme-toggle').click();
      await t.page.evaluate(() => document.documentElement.dataset.theme === 'dark' || null);
      await t.shot('residents-dark');
      await detail(t);
      await t.shot('residents-detail-dark');
      await t.page.keyboard.press('Escape');
      await t.id('nav-dashboard').click();
      await t.shot('dashboard-dark');
      await t.id('theme-toggle').click();

      await t.id('lang-toggle').click();
      await residents(t);
      await t.shot('residents-en');
      await t.id('lang-toggle').click();

      await t.page.keyboard.press('?');
      await t.shot('shortcuts');
      await t.page.keyboard.press('Escape');

      await t.id('nav-import').click();
      await t.shot('import-choose');
      await t.id('import-choose').click();
      await t.visible('sheet-option');
      await t.shot('import-sheets');
      const req = t.call('dry_run').args.request;
      await t.page.locator(`[data-testid=sheet-option][data-sheet="${req.sheet ?? ''}"]`).click();
      await t.id('import-next').click();
      await t.visible('mapping-column');
      await t.page.locator('[data-testid=mapping-column]').nth(11).selectOption('attribute');
      await t.shot('import-mapping');
      for (const [h, f] of req.columns) await t.page.locator(`[data-testid=mapping-column][data-header="${h}"]`).selectOption(f);
      await t.id('import-next').click();
      await t.visible('dry-run-counts');
      await t.shot('import-dry-run');
      await t.ipc('slow', 'import_run', 1500);
      await t.id('import-start').click();
      await t.until(async () => Number(await t.id('import-progress').getAttribute('data-done')) > 0, 'progress');
      await t.shot('import-progress');
      await t.visible('import-report', 8000);
      await t.shot('import-report');

      await t.id('nav-settings').click();
      await t.shot('settings');

      await t.id('nav-residents').click();
      await t.visible('resident-table');
      await t.id('filter-community').selectOption(t.call('print_calls').args.query.community);
      await t.id('print-calls').click();
      await t.until(() => t.page.evaluate(() => window.__ipc.printed === 1), 'printed');
      await t.page.emulateMedia({ media: 'print' });
      await t.shot('print-calls');
      await t.page.emulateMedia({ media: 'screen' });
    },
  },
];
