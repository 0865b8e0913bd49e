// Backup and moving (Settings): a backup to a file with the passphrase asked twice (a mismatch
// caught here, a weak one refused by the backend and worded in Chinese), and a restore on a
// fresh laptop: a wrong passphrase refused, then the store restored, the official told to sign
// in again, and no second restore offered. Replies are the fixture's, recorded from two desks.
import { assert } from '../harness/spec.mjs';

async function settings(t, prefer) {
  await t.open({ prefer: ['app_info_synced', ...prefer] });
  await t.id('nav-settings').click();
  await t.visible('backup-settings');
}

const calls = async (t, cmd) => (await t.log()).filter((c) => c.cmd === cmd).length;

export default [
  {
    name: 'backup: to a file, the passphrase twice, a weak one refused in words',
    async run(t) {
      await settings(t, []);
      const saved = t.call('backup_save');
      await t.id('backup-save').click();
      await t.visible('backup-dialog');
      assert.equal(await t.text('backup-path'), saved.args.path);
      await t.id('backup-passphrase').fill('123');
      await t.id('backup-passphrase-again').fill('124');
      await t.id('backup-confirm').click();
      assert.match(await t.text('backup-dialog-error'), /两次输入的口令不一致/);
      assert.equal(await calls(t, 'backup_save'), 0, 'checked here first');
      await t.id('backup-passphrase-again').fill('123');
      await t.id('backup-confirm').click();
      await t.until(async () => /口令太弱/.test(await t.text('backup-dialog-error')), 'a weak passphrase refused');
      await t.id('backup-passphrase').fill(saved.args.passphrase);
      await t.id('backup-passphrase-again').fill(saved.args.passphrase);
      await t.id('backup-confirm').click();
      await t.gone('backup-dialog');
      const r = saved.ok;
      assert.match(
        await t.text('backup-done'),
        new RegExp(`备份已写入：${r.residents} 位居民，${r.requests} 条诉求，${r.ops_waiting} 项待同步操作`),
      );
      assert.equal(await calls(t, 'backup_save'), 2);
    },
  },
  {
    name: 'backup: a fresh laptop restores after a wrong passphrase, then offers no second restore',
    async run(t) {
      await settings(t, []);
      const restored = t.call('restore_from');
      await t.visible('backup-restore');
      await t.id('backup-restore').click();
      await t.visible('backup-dialog');
      assert.match(await t.text('backup-dialog'), /待同步的工作会保留/);
      assert.equal(await t.count('backup-passphrase-again'), 0, 'asked once to open a backup');
      await t.id('backup-passphrase').fill(t.call('restore_wrong').args.passphrase);
      await t.id('backup-confirm').click();
      await t.until(async () => /这个口令打不开这份备份/.test(await t.text('backup-dialog-error')), 'a wrong passphrase refused');
      await t.ipc('prefer', ['app_info_synced', 'restore_state_work']);
      await t.id('backup-passphrase').fill(restored.args.passphrase);
      await t.id('backup-confirm').click();
      await t.gone('backup-dialog');
      const r = restored.ok;
      assert.match(await t.text('backup-done'), new RegExp(`已恢复：${r.residents} 位居民，${r.ops_waiting} 项待同步操作。请重新登录以发送。`));
      await t.visible('backup-restore-blocked');
      assert.equal(await t.id('backup-restore-blocked').getAttribute('data-why'), 'work');
      assert.equal(await t.count('backup-restore'), 0, 'no restore over the work now here');
      await t.shot('backup-restored');
    },
  },
];
