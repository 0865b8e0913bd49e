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
  {
    // The volunteer screens, in zh-CN, also kept in docs/screenshots/.
    name: 'volunteer screenshots',
    async run(t) {
      await t.open();
      await t.ipc('prefer', ['app_info_demo', 'volunteers']);
      await t.id('nav-volunteers').click();
      await t.visible('volunteer-row');
      await t.shot('volunteers', { docs: true });

      // The dispatch panel of an accepted request: the ranking with its reasons.
      const req = t.call('vol_req_detail').args.id;
      await t.ipc('prefer', ['app_info_demo', 'queue_vol', 'vol_req_detail', 'vol_req_dispatch', 'vol_suggest']);
      await t.id('nav-requests').click();
      await t.page.locator(`[data-testid="queue-row"][data-id="${req}"]`).click();
      await t.visible('suggestion');
      await t.shot('dispatch', { docs: true });
      // Nobody can go: greyed, with why.
      await t.ipc('force', 'request_dispatch', 'dispatch_refused');
      await t.ipc('force', 'dispatch_suggest', 'suggest_nobody');
      await t.page.locator(`[data-testid="queue-row"][data-id="${req}"]`).click();
      await t.visible('dispatch-refusal');
      await t.page.locator('[data-testid="request-panel"]').evaluate((el) => {
        const d = el.querySelector('[data-testid="dispatch-panel"]');
        el.scrollTop = d.offsetTop - 60;
      });
      await t.shot('dispatch-refused', { docs: true });

      // A volunteer's ledger with a voucher just given.
      const redeem = t.call('vol_redeem');
      await t.ipc('prefer', ['app_info_demo', 'volunteers', 'vol_detail']);
      await t.id('nav-volunteers').click();
      await t.visible('volunteer-row');
      const index = t.call('volunteers').ok.findIndex((v) => v.id === redeem.args.volunteer_id);
      while ((await t.count('volunteer-row')) <= index) await t.page.getByRole('button', { name: /再显示/ }).click();
      await t.page.locator(`[data-testid="volunteer-row"][data-id="${redeem.args.volunteer_id}"]`).click();
      await t.visible('vp-redeem');
      await t.shot('volunteer-panel', { docs: true });
      await t.id('vp-redeem').click();
      await t.id('points-shop').selectOption(redeem.args.shop_id);
      await t.id('points-amount').fill(String(redeem.args.amount));
      await t.id('points-text').fill(redeem.args.note);
      await t.ipc('prefer', ['app_info_demo', 'vol_detail_after_redeem', 'volunteers_after_redeem']);
      await t.id('points-confirm').click();
      await t.visible('voucher');
      await t.shot('volunteer-voucher', { docs: true });
      await t.id('voucher-close').click();
      await t.gone('voucher');
      await t.page.locator('[data-testid="volunteer-panel"] .scroll').evaluate((el) => {
        const l = el.querySelector('[data-testid="vp-ledger"]').closest('section');
        el.scrollTop = l.offsetTop - 4;
      });
      await t.shot('volunteer-ledger', { docs: true });
      await t.page.keyboard.press('Escape');

      // The at-risk report and the points.
      await t.id('vol-tab-risk').click();
      await t.visible('at-risk-row');
      await t.shot('volunteers-at-risk', { docs: true });
      await t.id('vol-tab-points').click();
      await t.visible('leader');
      await t.shot('volunteers-points', { docs: true });

      // The add form with the hours understood, and the settings.
      await t.id('vol-add').click();
      await t.id('vf-name').fill(t.call('vol_create').args.draft.name);
      await t.id('vf-availability').fill(t.call('avail_ok').args.text);
      await t.visible('vf-availability-strip');
      await t.shot('volunteer-add', { docs: true });
      await t.page.keyboard.press('Escape');
      await t.id('nav-settings').click();
      await t.visible('volunteer-settings');
      await t.id('volunteer-settings').scrollIntoViewIfNeeded();
      await t.shot('volunteer-settings', { docs: true });

      // Dark and English.
      await t.id('theme-toggle').click();
      await t.id('lang-toggle').click();
      await t.ipc('prefer', ['app_info_demo', 'queue_vol', 'vol_req_detail', 'vol_req_dispatch', 'vol_suggest']);
      await t.id('nav-requests').click();
      await t.page.locator(`[data-testid="queue-row"][data-id="${req}"]`).click();
      await t.visible('suggestion');
      await t.page.locator('[data-testid="request-panel"]').evaluate((el) => {
        const d = el.querySelector('[data-testid="dispatch-panel"]');
        el.scrollTop = d.offsetTop - 60;
      });
      await t.shot('dispatch-en-dark');
      await t.ipc('prefer', ['app_info_demo', 'volunteers']);
      await t.id('nav-volunteers').click();
      await t.visible('volunteer-row');
      await t.shot('volunteers-en-dark');
      await t.id('theme-toggle').click();
      await t.id('lang-toggle').click();
    },
  },
];
