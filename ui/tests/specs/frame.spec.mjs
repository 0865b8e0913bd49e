// The frame: pages, language, theme, the first-start welcome, the store switch, shortcuts.
import { assert } from '../harness/spec.mjs';

const PAGES = [
  ['nav-requests', 'queue'],
  ['nav-volunteers', 'volunteer-list'],
  ['nav-residents', 'resident-table'],
  ['nav-import', 'import-path'],
  ['nav-settings', 'store-path'],
  ['nav-dashboard', 'status-bar'],
];

export default [
  {
    name: 'navigation between all pages',
    async run(t) {
      await t.open();
      assert.ok(await t.id('demo-badge').first().isVisible(), 'the demo store is marked');
      assert.match(await t.text('status-store'), new RegExp(t.call('app_info_demo').ok.district));
      for (const [nav, shows] of PAGES) {
        await t.id(nav).click();
        await t.visible(shows);
        assert.equal(await t.id(nav).getAttribute('aria-current'), 'page');
      }
      // No page for what is not built yet.
      for (const absent of ['nav-reports']) assert.equal(await t.count(absent), 0);
    },
  },
  {
    name: 'language switch zh → en → zh, live and remembered',
    async run(t) {
      await t.open();
      assert.equal((await t.id('nav-residents').locator('.label').textContent()).trim(), '居民');
      await t.id('lang-toggle').click();
      await t.until(async () => (await t.id('nav-residents').locator('.label').textContent()).trim() === 'Residents', 'English labels');
      assert.equal(await t.page.evaluate(() => document.documentElement.lang), 'en');
      await t.page.reload();
      await t.visible('status-bar');
      await t.until(async () => (await t.id('nav-residents').locator('.label').textContent()).trim() === 'Residents', 'English after reload');
      await t.id('lang-toggle').click();
      await t.until(async () => (await t.id('nav-residents').locator('.label').textContent()).trim() === '居民', 'Chinese again');
    },
  },
  {
    name: 'theme toggle, remembered',
    async run(t) {
      await t.open();
      const theme = () => t.page.evaluate(() => document.documentElement.dataset.theme);
      const before = await theme();
      await t.id('theme-toggle').click();
      const after = await theme();
      assert.notEqual(after, before);
      const bg = await t.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await t.page.reload();
      await t.visible('status-bar');
      assert.equal(await theme(), after);
      assert.equal(await t.page.evaluate(() => getComputedStyle(document.body).backgroundColor), bg);
    },
  },
  {
    name: 'welcome dialog on first start opens the demo',
    async run(t) {
      await t.open({ prefer: ['app_info_first_start'] });
      await t.visible('welcome-dialog');
      assert.equal(await t.count('demo-badge'), 0);
      await t.id('welcome-demo').click();
      await t.gone('welcome-dialog');
      await t.visible('demo-badge');
      assert.match(await t.text('status-store'), new RegExp(t.call('open_demo').ok.district));
      assert.match(await t.text('status-bar'), /20,000|20000/);
    },
  },
  {
    name: 'welcome dialog: start empty goes to the import',
    async run(t) {
      await t.open({ prefer: ['app_info_first_start'] });
      await t.id('welcome-empty').click();
      await t.gone('welcome-dialog');
      await t.visible('import-path');
    },
  },
  {
    name: 'settings switch to the main store',
    async run(t) {
      await t.open();
      await t.id('nav-settings').click();
      assert.equal(await t.text('store-path'), t.call('app_info_demo').ok.path);
      await t.id('store-main').click();
      await t.gone('demo-badge');
      assert.match(await t.text('status-store'), new RegExp(t.call('open_main').ok.district));
    },
  },
  {
    name: 'shortcut overlay and page keys',
    async run(t) {
      await t.open();
      await t.page.keyboard.press('?');
      await t.visible('shortcut-overlay');
      assert.match(await t.text('shortcut-overlay'), /Ctrl/);
      await t.page.keyboard.press('Escape');
      await t.gone('shortcut-overlay');
      for (const [key, shows] of [['i', 'import-path'], ['s', 'store-path'], ['r', 'resident-table'], ['d', 'status-bar']]) {
        await t.page.keyboard.press('g');
        await t.page.keyboard.press(key);
        await t.visible(shows);
      }
      await t.page.keyboard.press('/');
      await t.until(() => t.page.evaluate(() => document.activeElement?.dataset.testid === 'search-input'), 'search focused');
    },
  },
];
