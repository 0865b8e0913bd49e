// The residents page: search, filters, scrolling blocks, the detail panel, printing.
import { assert } from '../harness/spec.mjs';

async function residents(t) {
  await t.open();
  await t.id('nav-residents').click();
  const first = t.call('page_0').ok.rows[0].name;
  await t.until(async () => (await t.id('resident-row').first().textContent()).includes(first), 'first rows');
}

const scroller = (t) => t.page.locator('[data-testid=resident-table] .scroller');

export default [
  {
    name: 'search finds residents, and nobody for a miss',
    async run(t) {
      await residents(t);
      const hit = t.call('search');
      await t.id('search-input').fill(hit.args.query.text);
      await t.until(async () => (await t.text('resident-count')).includes(t.num(hit.ok.total)), 'hit count');
      await t.until(async () => (await t.id('resident-row').first().textContent()).includes(hit.ok.rows[0].name), 'hit rows');
      assert.ok((await t.count('resident-row')) <= hit.ok.rows.length);
      const none = t.call('search_none');
      await t.id('search-input').fill(none.args.query.text);
      await t.until(async () => (await t.count('resident-row')) === 0, 'no rows');
      assert.match(await t.text('resident-count'), /\b0\b/);
      // Only the last text typed was asked for after the pause (the debounce).
      const asked = (await t.log()).filter((c) => c.cmd === 'residents_page').map((c) => c.args.query.text);
      assert.ok(!asked.some((x) => x && x !== hit.args.query.text && x !== none.args.query.text), `asked ${asked}`);
    },
  },
  {
    name: 'filters by community, grids follow the community, tags labelled',
    async run(t) {
      await residents(t);
      const c = t.call('page_community');
      assert.equal(await t.id('filter-grid').isDisabled(), true);
      await t.id('filter-community').selectOption(c.args.query.community);
      await t.until(async () => (await t.text('resident-count')).includes(t.num(c.ok.total)), 'community count');
      const grids = t.call('facets').ok.communities.find((x) => x.name === c.args.query.community).grids;
      assert.equal(await t.id('filter-grid').locator('option').count(), grids.length + 1);
      const tag = t.call('facets').ok.tags[0];
      assert.match(await t.id('filter-tag').textContent(), new RegExp(tag.label_zh));
    },
  },
  {
    name: 'scrolling fetches blocks of 100 as they come into view',
    async run(t) {
      await residents(t);
      const total = t.call('page_0').ok.total;
      const height = await scroller(t).evaluate((el) => el.scrollHeight);
      assert.equal(height, Math.min(total * 30, 8_000_000));
      for (const [name, index] of [['page_100', 150], ['page_200', 250]]) {
        await scroller(t).evaluate((el, y) => (el.scrollTop = y), index * 30);
        const want = t.call(name).ok.rows[index % 100].name;
        const row = t.page.locator(`[data-testid=resident-row][data-index="${index}"]`);
        await t.until(async () => (await row.textContent()).includes(want), `row ${index}`);
      }
      assert.ok((await t.count('resident-row')) < 80, 'only the visible rows are in the DOM');
    },
  },
  {
    name: 'detail panel: reveal the phone, edit the notes',
    async run(t) {
      await residents(t);
      const d = t.call('detail').ok.resident;
      await t.id('resident-row').first().click();
      await t.visible('detail-panel');
      await t.until(async () => (await t.text('detail-panel')).includes(d.name), 'detail');
      assert.ok((await t.text('detail-panel')).includes(d.phone), 'masked phone shown');
      await t.id('reveal-phone').click();
      await t.until(async () => (await t.text('detail-panel')).includes(t.call('reveal_phone').ok), 'revealed phone');
      const edit = t.call('update').args.edit;
      await t.id('detail-edit').click();
      await t.id('edit-notes').fill(edit.notes);
      await t.id('detail-save').click();
      await t.visible('detail-edit');
      await t.until(async () => (await t.text('detail-panel')).includes(edit.notes), 'saved notes');
      await t.id('detail-close').click();
      await t.gone('detail-panel');
    },
  },
  {
    name: 'keyboard: j and k move, Enter opens, Esc closes',
    async run(t) {
      await residents(t);
      await t.page.evaluate(() => document.activeElement?.blur());
      const selected = () => t.page.locator('[data-testid=resident-row][aria-selected=true]').getAttribute('data-index');
      await t.page.keyboard.press('j');
      assert.equal(await selected(), '1');
      await t.page.keyboard.press('k');
      assert.equal(await selected(), '0');
      await t.page.keyboard.press('Enter');
      await t.visible('detail-panel');
      await t.page.keyboard.press('Escape');
      await t.gone('detail-panel');
    },
  },
  {
    name: 'print the call list of the current filter',
    async run(t) {
      await residents(t);
      const p = t.call('print_calls');
      await t.id('filter-community').selectOption(p.args.query.community);
      await t.until(async () => (await t.text('resident-count')).includes(t.num(t.call('page_community').ok.total)), 'filtered');
      await t.id('print-calls').click();
      await t.until(() => t.page.evaluate(() => window.__ipc.printed === 1), 'window.print called');
      const view = t.id('print-view');
      assert.equal(await view.getAttribute('data-kind'), 'calls');
      assert.match(await view.locator('h1').textContent(), new RegExp(p.ok.district));
      assert.match(await view.locator('header').textContent(), new RegExp(p.args.query.community));
      assert.equal(await view.locator('tbody tr').count(), p.ok.rows.length);
      assert.equal(await view.isVisible(), false, 'the print view shows only on paper');
      await t.page.emulateMedia({ media: 'print' });
      assert.equal(await view.isVisible(), true);
      assert.equal(await t.id('status-bar').isVisible(), false);
    },
  },
];
