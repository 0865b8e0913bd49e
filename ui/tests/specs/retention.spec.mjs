// Retention: the district's rule on the Settings page, and the dashboard's requests by month
// (live requests plus what purges tallied, as the backend reports them).
import { assert } from '../harness/spec.mjs';

export default [
  {
    name: 'retention: the dashboard counts requests by month, newest first',
    async run(t) {
      await t.open();
      await t.visible('dash-requests');
      const lines = t.call('requests_report').ok;
      const newest = lines.map((l) => l.month).sort().at(-1);
      const total = lines.filter((l) => l.month === newest).reduce((n, l) => n + l.requests, 0);
      const first = t.id('dash-requests').locator('tbody tr').first();
      await t.until(async () => (await first.textContent()).includes(newest), 'the newest month first');
      assert.match(await first.textContent(), new RegExp(t.num(total)));
      await t.noMisses([]);
    },
  },
  {
    name: 'retention: the district sets how long finished requests are kept',
    async run(t) {
      await t.open();
      await t.id('nav-settings').click();
      await t.visible('retention-settings');
      const rule = t.call('retention').ok;
      assert.equal(await t.id('retention-health-tags').inputValue(), rule.health_tags.join(', '));
      assert.equal(await t.id('retention-request-days').inputValue(), '');
      await t.id('retention-request-days').fill('180');
      await t.id('retention-save').click();
      await t.until(async () => (await t.log()).some((c) => c.cmd === 'retention_set' && c.name === 'retention_set'), 'the rule sent');
      await t.until(async () => (await t.id('retention-request-days').inputValue()) === '180', 'the saved rule shown');
      await t.noMisses([]);
    },
  },
];
