// The store is encrypted and this computer has no keychain: the window asks for the passphrase
// before anything else. The first start sets it (twice, at least 8 characters); later starts
// ask for it, a wrong one is told and the right one opens the store. Replies recorded from a
// desk on a folder with no keychain.
import { assert } from '../harness/spec.mjs';

async function start(t, prefer) {
  await t.page.addInitScript(t.initScript({ prefer, slow: {} }));
  await t.page.goto(t.url);
  await t.visible('unlock-screen');
}

const right = (t) => t.call('store_unlock').args.passphrase;

export default [
  {
    name: 'unlock: the first start sets a passphrase, checked twice, then the store opens',
    async run(t) {
      await start(t, ['app_info_locked_first', 'store_unlock_first']);
      assert.equal(await t.id('unlock-screen').getAttribute('data-first'), 'true');
      assert.match(await t.text('unlock-screen'), /为本机数据设置口令/);
      assert.ok(await t.id('unlock-submit').isDisabled(), 'nothing typed yet');
      await t.id('unlock-secret').fill('short');
      await t.id('unlock-again').fill('short');
      await t.id('unlock-submit').click();
      assert.match(await t.text('unlock-error'), /至少 8 个字符/);
      await t.id('unlock-secret').fill(right(t));
      await t.id('unlock-again').fill(`${right(t)}x`);
      await t.id('unlock-submit').click();
      assert.match(await t.text('unlock-error'), /两次输入的口令不一致/);
      assert.equal((await t.log()).filter((c) => c.cmd === 'store_unlock').length, 0, 'checked here first');
      await t.shot('unlock-first', { docs: true });
      await t.id('unlock-again').fill(right(t));
      await t.id('unlock-submit').click();
      await t.gone('unlock-screen');
      await t.id('status-bar').waitFor();
      const sent = (await t.log()).filter((c) => c.cmd === 'store_unlock');
      assert.deepEqual(sent.map((c) => c.args.passphrase), [right(t)]);
    },
  },
  {
    name: 'unlock: a later start asks for the passphrase; a wrong one is told, the right one opens',
    async run(t) {
      await start(t, ['app_info_locked', 'store_unlock']);
      assert.equal(await t.id('unlock-screen').getAttribute('data-first'), 'false');
      assert.equal(await t.count('unlock-again'), 0, 'asked once');
      await t.id('unlock-secret').fill(t.call('store_unlock_wrong').args.passphrase);
      await t.page.keyboard.press('Enter');
      assert.match(await t.text('unlock-error'), /口令不对/);
      assert.equal(await t.id('unlock-secret').inputValue(), '', 'cleared for another try');
      await t.shot('unlock-wrong', { docs: true });
      await t.id('unlock-secret').fill(right(t));
      await t.page.keyboard.press('Enter');
      await t.gone('unlock-screen');
    },
  },
  {
    name: 'lock: locked on demand, a wrong password told, the right one opens; locked again when idle',
    async run(t) {
      await t.page.clock.install();
      await start(t, ['app_info_locked', 'store_unlock', 'lock_state_passphrase']);
      await t.id('unlock-secret').fill(right(t));
      await t.page.keyboard.press('Enter');
      await t.gone('unlock-screen');
      await t.id('welcome-empty').click();
      // Nobody has logged in on this store: its passphrase opens the lock.
      await t.id('lock-now').click();
      await t.visible('lock-screen');
      assert.match(await t.text('lock-screen'), /已锁定/);
      assert.match(await t.text('lock-screen'), /本机数据的口令/);
      await t.id('lock-secret').fill(t.call('lock_open_wrong').args.password);
      await t.page.keyboard.press('Enter');
      assert.match(await t.text('lock-error'), /口令不对/);
      await t.shot('lock-wrong', { docs: true });
      await t.id('lock-secret').fill(t.call('lock_open').args.password);
      await t.page.keyboard.press('Enter');
      await t.gone('lock-screen');
      // The district's idle time (recorded: 10 minutes) passes without a key or a click.
      const idle = t.call('lock_state_passphrase').ok.idle_minutes;
      const before = (await t.log()).filter((c) => c.cmd === 'lock_now').length;
      await t.page.clock.runFor((idle * 60 + 10) * 1000);
      await t.visible('lock-screen');
      assert.equal((await t.log()).filter((c) => c.cmd === 'lock_now').length, before + 1, 'locked by the idle timer');
    },
  },
];
