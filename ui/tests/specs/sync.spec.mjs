// Sync: the status bar's figures and "sync now", logging in (a wrong password, no server, then
// rightly) and out, the first sync's progress, and the conflicts page with "apply mine again"
// and the server's refusals. Replies are the fixture's, recorded from two desks and a server.
import { assert } from '../harness/spec.mjs';

// Three minutes after the recorded sync with conflicts (09:07:20 UTC), so "3 min ago" is exact.
const NOW = new Date('2026-03-01T09:10:30Z');

async function openSynced(t, prefer) {
  await t.page.clock.setFixedTime(NOW);
  await t.open({ prefer: ['app_info_synced', ...prefer] });
}

const state = (t) => t.id('status-sync').getAttribute('data-state');

async function logged(t, cmd) {
  return (await t.log()).filter((c) => c.cmd === cmd);
}

export default [
  {
    name: 'sync: the status bar says offline with work waiting, then sync now brings the conflicts',
    async run(t) {
      await openSynced(t, ['sync_status_offline']);
      const offline = t.call('sync_status_offline').ok;
      await t.until(async () => (await state(t)) === 'offline', 'offline shown');
      assert.match(await t.text('status-sync'), /离线/);
      assert.match(await t.text('status-waiting'), new RegExp(`待发送 ${offline.waiting}`));
      // Last synced 08:02:20, 68 minutes before now: read in hours.
      assert.match(await t.text('status-last-sync'), /上次同步 1 小时前/);
      assert.match(await t.id('status-sync').getAttribute('title'), /simulated network is down/);
      assert.match(await t.text('status-conflicts'), /冲突 0/);
      assert.equal(await t.id('status-conflicts').evaluate((e) => e.classList.contains('hot')), false);

      // The network is back: sync now sends, receives, and learns of conflicts.
      await t.ipc('prefer', ['app_info_synced', 'sync_status_conflicts', 'sync_now', 'sync_conflicts']);
      await t.ipc('slow', 'sync_now', 1200);
      await t.id('sync-now').click();
      await t.until(async () => (await t.id('sync-now').isDisabled()) && /同步中/.test(await t.text('sync-now')), 'spinner while syncing');
      await t.visible('status-progress');
      await t.until(async () => /拒绝了 1 项/.test(await t.texts('toast')), 'the refusal told');
      await t.gone('status-progress');
      const after = t.call('sync_status_conflicts').ok;
      await t.until(async () => (await state(t)) === 'online', 'online again');
      assert.match(await t.text('status-conflicts'), new RegExp(`冲突 ${after.conflicts}`));
      assert.equal(await t.id('status-conflicts').evaluate((e) => e.classList.contains('hot')), true);
      assert.match(await t.text('status-waiting'), /待发送 0/);
      assert.match(await t.text('status-last-sync'), /上次同步 3 分钟前/);
      assert.equal(await t.text('nav-conflicts-count'), String(after.conflicts));
      assert.equal((await logged(t, 'sync_now')).length, 1);

      // The conflicts figure is a link to the page.
      await t.id('status-conflicts').click();
      await t.visible('conflict-row');
      assert.equal(await t.id('nav-conflicts').getAttribute('aria-current'), 'page');
    },
  },
  {
    name: 'sync: a failed sync now shows the server’s message',
    async run(t) {
      await openSynced(t, ['sync_status_synced']);
      await t.until(async () => (await state(t)) === 'online', 'online');
      await t.ipc('force', 'sync_now', 'sync_now_offline');
      await t.ipc('prefer', ['app_info_synced', 'sync_status_offline']);
      await t.id('sync-now').click();
      await t.until(async () => /simulated network is down/.test(await t.texts('toast')), 'error toast');
      await t.until(async () => (await state(t)) === 'offline', 'offline after the failure');
    },
  },
  {
    name: 'sync: log in (wrong password, no server, then rightly) and out',
    async run(t) {
      await openSynced(t, []);
      await t.until(async () => (await state(t)) === 'logged-out', 'logged out');
      assert.equal(await t.count('sync-now'), 0, 'nothing to sync before a login');
      await t.id('status-sync').click();
      await t.visible('sync-login-form');
      const ok = t.call('sync_login');
      const wrong = t.call('sync_login_refused').args;
      // Typed without the scheme; https is assumed.
      await t.id('sync-server').fill(wrong.server_url.replace('https://', ''));
      await t.id('sync-user').fill(wrong.username);
      await t.id('sync-password').fill(wrong.password);
      await t.id('sync-login').click();
      await t.visible('sync-login-error');
      assert.equal(await t.id('sync-login-error').getAttribute('data-code'), 'refused');
      assert.match(await t.text('sync-login-error'), /用户名或密码不对/);
      assert.equal(await t.id('sync-server').inputValue(), wrong.server_url);

      await t.id('sync-password').fill(ok.args.password);
      await t.ipc('force', 'sync_login', 'sync_login_offline');
      await t.id('sync-login').click();
      await t.until(async () => (await t.id('sync-login-error').getAttribute('data-code')) === 'offline', 'offline error');
      assert.match(await t.text('sync-login-error'), /连不上服务器/);

      await t.ipc('prefer', ['app_info_synced', 'sync_login']);
      await t.id('sync-login').click();
      await t.visible('sync-who');
      assert.equal(await t.text('sync-display-name'), ok.ok.display_name);
      assert.equal(await t.text('sync-role'), '网格员');
      assert.equal(await t.text('sync-scope'), '全区');
      assert.equal(await t.text('sync-server-url'), ok.args.server_url);
      assert.match(await t.text('sync-account'), /断网时，所有工作都保存在这台电脑上/);
      assert.equal(await state(t), 'online', 'the login reached the server');
      const calls = await logged(t, 'sync_login');
      assert.deepEqual(calls.map((c) => c.name), ['sync_login_refused', 'sync_login_offline', 'sync_login']);

      // Log out, confirmed; the form comes back with the server and user filled in.
      await t.ipc('prefer', ['app_info_synced', 'sync_logout']);
      await t.id('sync-logout').click();
      await t.visible('sync-logout-dialog');
      await t.id('sync-logout-confirm').click();
      await t.visible('sync-login-form');
      assert.equal(await t.id('sync-user').inputValue(), ok.args.username);
      assert.equal(await t.id('sync-password').inputValue(), '');
    },
  },
  {
    name: 'sync: the demo district cannot log in; no conflicts reads as an explanation',
    async run(t) {
      await t.open();
      assert.equal(await t.count('status-sync'), 0, 'the demo shows no sync state');
      assert.match(await t.text('status-bar'), /演示库不同步/);
      await t.id('nav-settings').click();
      await t.visible('sync-demo-note');
      assert.equal(await t.count('sync-login-form'), 0);
      await t.page.keyboard.press('g');
      await t.page.keyboard.press('c');
      await t.visible('conflicts-empty');
      assert.match(await t.text('conflicts-empty'), /未登录服务器时不会产生冲突/);
      await t.visible('refusals-empty');
    },
  },
  {
    name: 'sync: conflicts listed, dismissed, applied again; the refusal listed and dismissed',
    async run(t) {
      await openSynced(t, ['sync_status_conflicts', 'sync_conflicts']);
      await t.id('nav-conflicts').click();
      const all = t.call('sync_conflicts').ok;
      await t.until(async () => (await t.count('conflict-row')) === all.conflicts.length, 'all conflicts');
      const phone = all.conflicts.find((c) => c.field === 'phone');
      const notes = all.conflicts.find((c) => c.field === 'notes');
      const row = (c) => t.page.locator(`[data-testid=conflict-row][data-id="${c.id}"]`);
      const first = await row(phone).textContent();
      assert.match(first, new RegExp(phone.label));
      assert.match(first, /居民/);
      assert.match(first, /电话/);
      assert.match(first, new RegExp(phone.lost.replace(/\*/g, '\\*')));
      assert.match(first, new RegExp(phone.won.replace(/\*/g, '\\*')));
      assert.match(first, new RegExp(`${phone.lost_by}.*${phone.won_by}`));
      assert.equal(await row(phone).getByTestId('conflict-mine').count(), 1, 'the lost phone was written here');
      assert.equal(await row(notes).getByTestId('conflict-mine').count(), 0, 'the lost notes were the colleague’s');
      // The refusal: the assignment of a request closed meanwhile.
      const refusal = all.rejections[0];
      assert.equal(await t.count('refusal-row'), 1);
      assert.match(await t.text('refusal-row'), /诉求·派单/);
      assert.match(await t.text('refusal-row'), /诉求目前为“已回访关闭”，不能“派单”/);

      await row(notes).getByTestId('conflict-dismiss').click();
      await t.until(async () => (await t.count('conflict-row')) === all.conflicts.length - 1, 'notes dismissed');
      await row(phone).getByTestId('conflict-reapply').click();
      await t.until(async () => (await row(phone).count()) === 0, 'phone applied again');
      await t.until(async () => /已重新应用/.test(await t.texts('toast')), 'told');
      const reapplied = await logged(t, 'sync_reapply');
      assert.deepEqual(reapplied.map((c) => c.args), [{ id: phone.id }]);
      assert.equal(await t.count('refusal-row'), 1, 'the refusal stays until dismissed');

      await t.id('refusal-dismiss').click();
      await t.visible('refusals-empty');
      const dismissed = (await logged(t, 'sync_dismiss')).map((c) => c.args.id);
      assert.deepEqual(dismissed, [notes.id, refusal.op_id]);
    },
  },
  {
    name: 'sync: the first sync shows a progress bar from the shell’s events',
    async run(t) {
      await openSynced(t, []);
      // Just logged in: the shell's loop starts the first sync at once.
      await t.ipc('emit', 'sync-status', t.call('sync_login').ok);
      await t.until(async () => (await state(t)) === 'online', 'logged in');
      const events = t.fixture.events.sync_now_first;
      assert.ok(events.length > 1, 'the recorded first sync came in pages');
      await t.ipc('emit', 'sync-progress', events[0]);
      await t.visible('first-sync-banner');
      const banner = t.id('first-sync-banner');
      assert.equal(Number(await banner.getAttribute('data-done')), events[0].done);
      const pct = Math.floor((events[0].done * 100) / events[0].total);
      assert.match(await banner.textContent(), new RegExp(`首次同步本区数据[\\s\\S]*${t.num(events[0].done)} / ${t.num(events[0].total)} 条 · ${pct}%`));
      await t.visible('status-progress');
      assert.equal(await t.id('status-progress').getAttribute('aria-valuenow'), String(pct));
      // In Settings the bar sits in the sync section instead of above the page.
      await t.id('nav-settings').click();
      await t.visible('sync-progress');
      assert.equal(await t.count('first-sync-banner'), 0);
      await t.id('nav-dashboard').click();
      await t.ipc('emit', 'sync-progress', events.at(-1));
      await t.until(async () => /100%/.test(await t.text('first-sync-banner')), 'full');
      // The loop's status after the attempt ends it.
      await t.ipc('emit', 'sync-status', t.call('sync_status_synced').ok);
      await t.gone('first-sync-banner');
      await t.gone('status-progress');
      assert.equal(await state(t), 'online');
      assert.match(await t.text('status-last-sync'), /上次同步/);
    },
  },
  {
    name: 'sync screenshots',
    async run(t) {
      await openSynced(t, ['sync_status_conflicts', 'sync_conflicts']);
      await t.until(async () => (await state(t)) === 'online', 'online');
      await t.id('nav-conflicts').click();
      await t.visible('conflict-row');
      await t.shot('sync-conflicts');
      await t.id('theme-toggle').click();
      await t.id('lang-toggle').click();
      await t.until(async () => /Overwritten/.test(await t.text('conflicts')), 'English');
      await t.shot('sync-conflicts-en-dark');
      await t.id('nav-settings').click();
      await t.visible('sync-who');
      await t.shot('sync-settings-en-dark');
      await t.ipc('emit', 'sync-status', { ...t.call('sync_login').ok });
      await t.ipc('emit', 'sync-progress', t.fixture.events.sync_now_first[0]);
      await t.id('nav-dashboard').click();
      await t.visible('first-sync-banner');
      await t.shot('sync-first-en-dark');
      await t.id('lang-toggle').click();
      await t.id('theme-toggle').click();
      await t.until(async () => /首次同步/.test(await t.text('first-sync-banner')), 'Chinese');
      await t.shot('sync-first');
      await t.ipc('emit', 'sync-status', t.call('sync_logout').ok);
      await t.id('nav-settings').click();
      await t.visible('sync-login-form');
      await t.id('sync-password').fill('liwei123');
      await t.id('sync-login').click();
      await t.visible('sync-login-error');
      await t.shot('sync-login-error');
    },
  },
];
