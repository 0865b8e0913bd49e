// The request queue: time left, filters and the overdue view; intake with triage's proposal;
// keyboard triage; pause and resume, transfer and return; merging a duplicate.
import { assert } from '../harness/spec.mjs';

async function queue(t, prefer = []) {
  await t.open();
  await t.ipc('prefer', ['app_info_demo', ...prefer]);
  await t.id('nav-requests').click();
  const name = prefer.find((p) => p.startsWith('queue')) ?? 'queue';
  const want = t.call(name).ok.items.length;
  await t.until(async () => (await t.count('queue-row')) === want, `${want} rows`);
}

const row = (t, id) => t.page.locator(`[data-testid="queue-row"][data-id="${id}"]`);

async function detail(t, id, prefer) {
  await t.ipc('prefer', ['app_info_demo', ...prefer]);
  await row(t, id).click();
  await t.visible('request-panel');
}

/** Runs a step from the panel; `prefer` names the replies to the reloads that follow. */
async function act(t, action, prefer, fill) {
  await t.ipc('prefer', ['app_info_demo', ...prefer]);
  await t.id(`act-${action}`).click();
  if (fill) {
    await t.visible('step-dialog');
    await fill();
    await t.id('step-confirm').click();
    await t.gone('step-dialog');
  }
}

export default [
  {
    name: 'requests: the queue by time left, in colour, and the overdue view',
    async run(t) {
      await queue(t);
      const items = t.call('queue').ok.items;
      assert.match(await t.text('queue-count'), new RegExp(t.num(t.call('queue').ok.total)));
      const first = await t.id('queue-row').first().getAttribute('data-id');
      assert.equal(first, items[0].id, 'sorted by time left as the backend ordered it');
      const late = t.call('queue_overdue').ok.items;
      await t.id('filter-overdue').check();
      await t.until(async () => (await t.count('queue-row')) === late.length, 'overdue rows');
      for (const text of await t.id('time-left').allTextContents()) assert.match(text, /超时/);
      await t.until(async () => (await t.page.locator('.tone-late, .tone-very-late').count()) > 0, 'red');
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: intake finds the resident, proposes urgent with its reasons, takes it in',
    async run(t) {
      await queue(t, ['queue_after_create', 'detail_created']);
      await t.page.locator('body').click({ position: { x: 5, y: 790 } });
      await t.page.keyboard.press('n');
      await t.visible('intake');
      const who = t.call('intake_search').ok.rows[0];
      await t.id('intake-search').fill(t.call('intake_search').args.query.text);
      await t.id('intake-pick').first().click();
      await t.until(async () => (await t.text('intake-resident')).includes(who.name), 'resident chosen');
      await t.id('intake-category').selectOption('medicine');
      await t.id('intake-description').fill(t.call('intake_preview').args.preview.description);
      await t.until(async () => (await t.text('intake-proposed')) === '紧急', 'proposed urgent');
      assert.match(await t.text('intake-proposal'), /胸口痛/);
      await t.id('intake-save').click();
      await t.gone('intake');
      await t.until(async () => (await t.text('request-panel')).includes('喘不上气'), 'the new request open');
      const made = t.call('intake_create').ok.id;
      assert.equal(await row(t, made).count(), 1, 'in the queue');
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: keyboard triage with j, k, a and the ? list',
    async run(t) {
      await queue(t, ['queue']);
      if (!t.has('key_accept')) return;
      const target = t.call('key_accept').args.ids[0];
      const index = t.call('queue').ok.items.findIndex((i) => i.id === target);
      await t.page.locator('body').click({ position: { x: 5, y: 790 } });
      for (let i = 0; i < index + 1; i++) await t.page.keyboard.press('j');
      await t.page.keyboard.press('k');
      await t.until(async () => (await t.page.locator('[data-testid="queue-row"].sel').getAttribute('data-id')) === target, 'selected');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_key_accept']);
      await t.page.keyboard.press('a');
      await t.until(async () => (await t.log()).some((c) => c.cmd === 'request_step' && c.args.ids[0] === target && c.args.step.action === 'accept'), 'accepted by key');
      await t.page.keyboard.press('?');
      await t.visible('shortcut-overlay');
      assert.match(await t.text('shortcut-overlay'), /签收所选诉求/);
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: pause and resume, transfer and return, counted',
    async run(t) {
      await queue(t, ['queue_after_create']);
      const id = t.call('intake_create').ok.id;
      await detail(t, id, ['queue_after_create', 'detail_created']);
      await act(t, 'accept', ['queue_after_create', 'detail_after_accept']);
      await t.visible('act-pause');
      await act(t, 'pause', ['queue_after_create', 'detail_after_pause'], () =>
        t.id('step-text').fill(t.call('pause').args.step.reason),
      );
      await t.visible('paused-note');
      assert.equal(await t.id('clock-resolution').getAttribute('data-status'), 'paused');
      await act(t, 'resume', ['queue_after_create', 'detail_after_resume']);
      await t.gone('paused-note');
      await act(t, 'transfer', ['queue_after_create', 'detail_after_transfer'], async () => {
        await t.id('step-area').selectOption(t.call('transfer').args.step.area_id);
        await t.id('step-text').fill(t.call('transfer').args.step.reason);
      });
      await t.until(async () => (await t.text('bounced')).includes('转派 1'), 'transfer counted');
      await act(t, 'accept', ['queue_after_create', 'accept_again', 'detail_after_accept_again']);
      await t.visible('act-return');
      await act(t, 'return', ['queue_after_create', 'detail_after_return'], () =>
        t.id('step-text').fill(t.call('return').args.step.reason),
      );
      await t.until(async () => (await t.text('bounced')).includes('退单 1'), 'return counted');
      const kinds = await t.page.locator('[data-testid="timeline-entry"]').evaluateAll((els) => els.map((e) => e.dataset.kind));
      assert.deepEqual(kinds, ['created', 'accept', 'pause', 'resume', 'transfer', 'accept', 'return']);
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: a duplicate is flagged and merged, keeping both histories',
    async run(t) {
      await queue(t, ['queue_after_dup']);
      const dup = t.call('intake_dup').ok.id;
      const keep = t.call('intake_create').ok.id;
      await detail(t, dup, ['queue_after_dup', 'detail_dup']);
      await t.ipc('prefer', ['app_info_demo', 'queue_after_merge', 'detail_dup']);
      await t.id('act-mark_duplicate').click();
      await t.visible('step-dialog');
      await t.page.locator(`[data-testid="step-keep"][value="${keep}"]`).check();
      await t.id('step-confirm').click();
      await t.gone('step-dialog');
      await t.until(async () => (await t.log()).some((c) => c.cmd === 'request_merge' && c.args.keep === keep && c.args.duplicate === dup), 'merged');
      await detail(t, keep, ['queue_after_merge', 'detail_after_merge']);
      await t.until(async () => (await t.page.locator('[data-testid="timeline-entry"][data-kind="merged"]').count()) === 1, 'merged shown');
      assert.equal(await t.page.locator('[data-testid="timeline-entry"][data-kind="created"]').count(), 2, 'both histories');
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: / searches the queue; today\'s check-ins are made from the rules',
    async run(t) {
      await queue(t, ['queue_after_merge']);
      await t.page.locator('body').click({ position: { x: 5, y: 790 } });
      await t.page.keyboard.press('/');
      await t.page.keyboard.type(t.call('queue_search').args.filter.text);
      const hits = t.call('queue_search').ok.items.length;
      await t.until(async () => (await t.count('queue-row')) === hits, `${hits} hits`);
      await t.id('request-search').fill('');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_checkins']);
      await t.id('checkins').click();
      const made = t.call('checkins').ok.created;
      await t.until(async () => (await t.texts('toast')).includes(String(made)), 'made told');
      await t.until(async () => (await t.count('queue-row')) === t.call('queue_after_checkins').ok.items.length, 'queue reloaded');
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: a file is attached at intake and shown with the request',
    async run(t) {
      await queue(t, ['queue_after_checkins']);
      await t.ipc('prefer', ['app_info_demo', 'queue_after_checkins', 'detail_attached']);
      await t.id('new-request').click();
      await t.visible('intake');
      await t.id('intake-search').fill(t.call('intake_search').args.query.text);
      await t.id('intake-pick').first().click();
      await t.id('intake-category').selectOption('medicine');
      await t.id('intake-description').fill(t.call('intake_create_attached').args.request.description);
      await t.until(async () => (await t.text('intake-proposed')) === '紧急', 'proposed');
      await t.id('intake-attach').click();
      await t.until(async () => (await t.text('intake-attachment')).includes('处方.jpg'), 'attached');
      await t.id('intake-save').click();
      await t.gone('intake');
      await t.until(async () => (await t.text('request-attachments')).includes('处方.jpg'), 'shown with the request');
      await t.noMisses([]);
    },
  },
  {
    name: 'requests: someone not on the roster is added with the request',
    async run(t) {
      await queue(t, ['queue_after_checkins']);
      await t.ipc('prefer', ['app_info_demo', 'queue_after_checkins', 'detail_new_person']);
      await t.id('new-request').click();
      await t.visible('intake');
      const p = t.call('intake_new_person').args.request;
      await t.id('intake-add-person').click();
      await t.id('person-name').fill(p.new_person.name);
      await t.id('person-phone').fill(p.new_person.phone);
      await t.id('person-address').fill(p.new_person.address);
      await t.id('intake-category').selectOption(p.category);
      await t.id('intake-description').fill(p.description);
      await t.until(async () => !(await t.id('intake-save').isDisabled()), 'ready');
      await t.id('intake-save').click();
      await t.gone('intake');
      await t.until(async () => (await t.text('request-panel')).includes(p.new_person.name), 'the new person named');
      await t.noMisses([]);
    },
  },
];
