// The district's access report in Settings: who saw a resident's number in full or printed a
// list, per place, read from the server; a grid official is told the report is not theirs.
// Replies recorded from a desk whose reveals and print were synced to an in-memory server.
import { assert } from '../harness/spec.mjs';

export default [
  {
    name: 'access report: per place, who saw or printed what; a grid official is told it is not for them',
    async run(t) {
      await t.open({ prefer: ['app_info_synced', 'sync_status_synced'] });
      await t.id('nav-settings').click();
      await t.visible('access-report');
      await t.until(async () => !(await t.id('access-load').isDisabled()), 'logged in: the button is on');
      await t.ipc('force', 'access_report', 'access_report');
      await t.id('access-load').click();
      await t.visible('access-place');
      const report = t.call('access_report').ok;
      const entries = report.places.reduce((n, p) => n + p.entries.length, 0);
      assert.equal(entries, 3, 'two numbers seen and one list printed');
      assert.equal(await t.count('access-place'), report.places.length);
      assert.equal(await t.count('access-entry'), entries);
      assert.match(await t.text('access-total'), new RegExp(`共 ${entries} 条，涉及 ${report.places.length} 个地点`));
      const text = await t.text('access-report');
      assert.match(text, /查看了 \S+ 的完整电话/);
      assert.match(text, /查看了 \S+ 的完整身份证号/);
      assert.match(text, /打印了 \d+ 位居民的电话名单/);
      for (const p of report.places) if (p.place) assert.ok(text.includes(p.place), `the place ${p.place} is named`);
      const asked = (await t.log()).filter((c) => c.cmd === 'access_report');
      assert.equal(asked.length, 1);
      const days = (asked[0].args.to_ms - asked[0].args.from_ms - 1) / 86_400_000;
      assert.equal(days, 30, 'the last 30 days by default');
      await t.shot('access-report', { docs: true });

      await t.id('access-days').selectOption('7');
      await t.ipc('force', 'access_report', 'access_report_forbidden');
      await t.id('access-load').click();
      await t.visible('access-error');
      assert.match(await t.text('access-error'), /只给网格长及以上/);
      assert.equal(await t.count('access-place'), 0, 'nothing of the last answer stays');
      const last = (await t.log()).filter((c) => c.cmd === 'access_report').at(-1);
      assert.equal((last.args.to_ms - last.args.from_ms - 1) / 86_400_000, 7);
    },
  },
];
