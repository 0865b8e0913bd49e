// Volunteers: dispatch from a request's page (the ranking with its reasons, key 1, pending until
// the server says), a no-show sending the request back to the queue, done and confirmed with
// points, a stale ranking refused over capacity and a refusal from the server, the volunteers
// list and its filters, adding and editing a volunteer with the hours understood live,
// redemption with its voucher, the at-risk report with a release, and the district's settings.
import { assert } from '../harness/spec.mjs';

const row = (t, id) => t.page.locator(`[data-testid="queue-row"][data-id="${id}"]`);
const vrow = (t, id) => t.page.locator(`[data-testid="volunteer-row"][data-id="${id}"]`);

/** The queue as the recording named `queue` has it. */
async function queue(t, name) {
  await t.open();
  await t.ipc('prefer', ['app_info_demo', name]);
  await t.id('nav-requests').click();
  const want = t.call(name).ok.items.length;
  await t.until(async () => (await t.count('queue-row')) === want, `${want} rows`);
}

/** Opens a request's page; `prefer` names the replies for its detail and dispatch panel. */
async function open(t, id, prefer) {
  await t.ipc('prefer', ['app_info_demo', ...prefer]);
  await row(t, id).click();
  await t.visible('request-panel');
  await t.visible('dispatch-panel');
}

/** The n-th eligible suggestion (1-based) that is this volunteer. */
function keyOf(t, suggest, volunteerId) {
  const eligible = t.call(suggest).ok.volunteers.filter((v) => v.rank.eligible);
  return eligible.findIndex((v) => v.rank.id === volunteerId) + 1;
}

async function volunteers(t, name = 'volunteers') {
  await t.ipc('prefer', ['app_info_demo', name]);
  await t.id('nav-volunteers').click();
  const want = Math.min(200, t.call(name).ok.length);
  await t.until(async () => (await t.count('volunteer-row')) === want, `${want} volunteers`);
}

/** Brings a volunteer's row into the list (it shows 200 at a time) and opens the panel. */
async function openVolunteer(t, list, id, prefer) {
  const index = t.call(list).ok.findIndex((v) => v.id === id);
  assert.ok(index >= 0, 'the volunteer is listed');
  while ((await t.count('volunteer-row')) <= index) await t.page.getByRole('button', { name: /再显示/ }).click();
  await t.ipc('prefer', ['app_info_demo', ...prefer]);
  await vrow(t, id).click();
  await t.visible('volunteer-panel');
}

export default [
  {
    name: 'volunteers: dispatch from the request page, reasons shown, key 1 sends, pending badge',
    async run(t) {
      const req = t.call('vol_req_detail').args.id;
      const ranked = t.call('vol_suggest').ok;
      await queue(t, 'queue_vol');
      await open(t, req, ['queue_vol', 'vol_req_detail', 'vol_req_dispatch', 'vol_suggest']);
      await t.until(async () => (await t.count('suggestion')) === ranked.volunteers.length, 'the ranking');
      assert.match(await t.text('dispatch-panel'), new RegExp(`共 ${ranked.considered} 人参与排序`));
      // The best one with its figures and every reason as a chip, in words.
      const best = ranked.volunteers[0];
      const first = t.id('suggestion').first();
      const text = await first.textContent();
      for (const bit of [best.rank.name, best.phone, `${best.load}/${best.capacity}`, String(best.rank.score)]) assert.ok(text.includes(bit), `${bit} shown`);
      assert.equal(await first.locator('[data-testid="reason"]').count(), best.rank.reasons.length);
      assert.match(text, /技能符合：代购送药、驾车接送/);
      assert.match(text, /同一网格|同一社区|同一街道|不在同一街道/);
      assert.equal(await first.locator('kbd').textContent(), '1');
      assert.doesNotMatch(await t.text('request-panel'), /\{|\}|vr\.|dp\./, 'no untranslated keys');
      assert.equal(await t.count('act-unassign'), 0, 'unassign is not a button');

      // Key 1 sends the first eligible volunteer; the request is assigned.
      await t.ipc('prefer', ['app_info_demo', 'queue_after_vol_assign', 'vol_req_detail_assigned', 'vol_req_dispatch_assigned']);
      await t.page.keyboard.press('1');
      await t.until(async () => (await t.text('request-status')) === '已派单', 'assigned');
      const sent = (await t.log()).find((c) => c.cmd === 'dispatch_assign');
      assert.deepEqual(sent.args, t.call('vol_assign').args, 'the first eligible, from now');
      await t.visible('assignment');
      assert.match(await t.text('assignment'), new RegExp(best.rank.name));
      assert.equal(await t.text('assignment-status'), '已派，待答复');
      assert.equal(await t.count('suggestion'), 0, 'no ranking while someone is on it');
      assert.equal(await t.count('assignment-pending'), 0, 'the demo never syncs: nothing pending');
      assert.match(await t.texts('toast'), /请电话通知/);
      assert.match(await row(t, req).locator('.status').textContent(), /^已派单/);

      // Made offline on a laptop that syncs: pending until the server has said.
      await t.ipc('force', 'request_dispatch', 'dispatch_pending');
      await open(t, req, ['queue_after_vol_assign', 'vol_req_detail_assigned']);
      await t.visible('assignment-pending');
      assert.equal(await t.text('assignment-pending'), '待服务器确认');
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: a no-show sends the request back to the queue and shows in their record',
    async run(t) {
      const req = t.call('vol_req_detail').args.id;
      const who = t.call('vol_assign').args.input.volunteer_id;
      await queue(t, 'queue_after_vol_assign');
      await open(t, req, ['queue_after_vol_assign', 'vol_req_detail_assigned', 'vol_req_dispatch_assigned']);
      await t.visible('move-no_show');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_vol_no_show', 'vol_req_detail_no_show', 'vol_req_dispatch_no_show', 'vol_suggest_again']);
      await t.id('move-no_show').click();
      await t.until(async () => (await t.text('request-status')) === '已签收', 'back to accepted');
      const rec = (await t.log()).find((c) => c.cmd === 'assignment_record');
      assert.deepEqual(rec.args, t.call('vol_no_show').args);
      // The timeline names it; the ranking is back; the assignment is history.
      const unassign = t.page.locator('[data-testid="timeline-entry"][data-kind="unassign"]');
      await t.until(async () => (await unassign.count()) === 1, 'unassign in the timeline');
      assert.match(await unassign.textContent(), /志愿者未能完成，退回待派/);
      assert.match(await unassign.textContent(), /未到场/);
      await t.until(async () => (await t.count('suggestion')) === t.call('vol_suggest_again').ok.volunteers.length, 'ranked again');
      assert.equal(await t.page.locator('[data-testid="assignment-past"][data-status="no_show"]').count(), 1);
      assert.match(await row(t, req).locator('.status').textContent(), /^已签收/, 'back in the queue');

      // Their record on the volunteers page shows the no-show.
      await volunteers(t, 'volunteers_after_no_show');
      const v = t.call('volunteers_after_no_show').ok.find((x) => x.id === who);
      const index = t.call('volunteers_after_no_show').ok.indexOf(v);
      while ((await t.count('volunteer-row')) <= index) await t.page.getByRole('button', { name: /再显示/ }).click();
      const cell = vrow(t, who).locator('[data-testid="volunteer-reliability"]');
      assert.match(await cell.textContent(), new RegExp(`未到${v.track.no_show}`));
      assert.equal(await cell.locator('.missed').count(), 1, 'missed last task marked');
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: another is sent, does it, and the confirmation awards points',
    async run(t) {
      const req = t.call('vol_req_detail').args.id;
      const second = t.call('vol_assign_again').args.input.volunteer_id;
      const key = keyOf(t, 'vol_suggest_again', second);
      assert.ok(key >= 1 && key <= 9);
      await queue(t, 'queue_after_vol_no_show');
      await open(t, req, ['queue_after_vol_no_show', 'vol_req_detail_no_show', 'vol_req_dispatch_no_show', 'vol_suggest_again']);
      await t.visible('suggestion');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_vol_assign_again', 'vol_req_detail_assigned_again', 'vol_req_dispatch_assigned_again']);
      await t.page.keyboard.press(String(key));
      await t.until(async () => (await t.text('request-status')) === '已派单', 'assigned again');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_vol_done', 'vol_req_detail_done', 'vol_req_dispatch_done']);
      await t.id('move-done').click();
      await t.until(async () => (await t.text('request-status')) === '已办结待回访', 'resolved');
      await t.visible('assignment-confirm');
      await t.ipc('prefer', ['app_info_demo', 'queue_after_vol_done', 'vol_req_detail_confirmed', 'vol_req_dispatch_confirmed']);
      await t.id('assignment-confirm').click();
      const points = t.call('vol_confirm').ok.points;
      await t.until(async () => (await t.text('assignment-points')) === `+${points} 积分`, 'points shown');
      await t.gone('assignment-confirm');
      assert.match(await t.texts('toast'), new RegExp(`记 ${points} 积分`));
      const log = await t.log();
      assert.deepEqual(log.find((c) => c.cmd === 'dispatch_assign').args, t.call('vol_assign_again').args);
      assert.deepEqual(log.find((c) => c.cmd === 'assignment_record').args, t.call('vol_done').args);
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: sent elsewhere meanwhile, over capacity: refused with the reason; the server’s refusal in red',
    async run(t) {
      const req = t.call('vol_full_detail').args.id;
      await queue(t, 'queue_after_vol_done');
      await open(t, req, ['queue_after_vol_done', 'vol_full_detail', 'vol_full_dispatch', 'vol_full_suggest']);
      await t.visible('suggestion');
      await t.page.keyboard.press('1');
      // The rule's code worded in Chinese, not the English message beside it.
      assert.equal(t.call('vol_assign_full').err.refusal.code, 'at_capacity');
      await t.until(async () => (await t.texts('toast')).includes('该志愿者已同时承担 1 项任务，达到上限'), 'the refusal told');
      assert.equal(await t.text('request-status'), '已签收', 'nothing changed');
      // The server refused what this laptop did offline: shown in red, with its reason.
      await t.ipc('force', 'request_dispatch', 'dispatch_refused');
      await t.ipc('force', 'dispatch_suggest', 'suggest_nobody');
      await open(t, req, ['queue_after_vol_done', 'vol_full_detail']);
      await t.visible('dispatch-refusal');
      const refusal = await t.text('dispatch-refusal');
      assert.match(refusal, /服务器拒绝了：派志愿者/);
      assert.equal(t.call('dispatch_refused').ok.refusals[0].refusal.code, 'at_capacity');
      assert.ok(refusal.includes('该志愿者已同时承担 1 项任务，达到上限'), refusal);
      assert.ok(!refusal.includes(t.call('dispatch_refused').ok.refusals[0].reason), 'not the English');
      // Nobody can go: both greyed with why, and no key sends them.
      await t.until(async () => (await t.count('suggestion')) === 2, 'the two');
      assert.equal(await t.page.locator('[data-testid="suggestion"][data-eligible="false"]').count(), 2);
      const text = await t.text('suggestions');
      assert.match(text, /集中隔离/);
      assert.match(text, /任务已满（1 件）/);
      assert.equal(await t.count('suggestion-send'), 0);
      const before = (await t.log()).filter((c) => c.cmd === 'dispatch_assign').length;
      await t.page.keyboard.press('1');
      await t.page.waitForTimeout(200);
      assert.equal((await t.log()).filter((c) => c.cmd === 'dispatch_assign').length, before);
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: the list by name, searched with /, filtered by skill and inactive; j, k and Enter',
    async run(t) {
      await t.open();
      await volunteers(t);
      const all = t.call('volunteers').ok;
      assert.match(await t.text('volunteer-count'), new RegExp(t.num(all.length)));
      assert.equal(await t.id('volunteer-row').first().getAttribute('data-id'), all[0].id);
      const sick = all.slice(0, 200).filter((v) => v.health !== 'well').length;
      assert.equal(await t.count('volunteer-health'), sick, 'health badges for those not well');
      // Skills by label; the week's hours drawn with today marked.
      assert.match(await t.text('volunteer-list'), /送货跑腿|代购送药/);
      assert.ok((await t.page.locator('.strip.compact .day.today').count()) > 0, 'today marked');

      await t.id('vol-filter-skill').selectOption('driving');
      const drivers = t.call('volunteers_skill').ok.length;
      await t.until(async () => (await t.count('volunteer-row')) === drivers, `${drivers} drivers`);
      await t.id('vol-filter-skill').selectOption('');
      await t.until(async () => (await t.count('volunteer-row')) === Math.min(200, all.length), 'everyone again');
      await t.id('vol-filter-inactive').check();
      await t.until(async () => (await t.text('volunteer-count')).includes(t.num(t.call('volunteers_inactive').ok.length)), 'with the inactive');
      const retired = t.call('volunteers_inactive').ok.find((v) => !v.active);
      while ((await t.count('volunteer-row')) <= t.call('volunteers_inactive').ok.indexOf(retired)) await t.page.getByRole('button', { name: /再显示/ }).click();
      assert.match(await vrow(t, retired.id).textContent(), /已停用/);
      await t.id('vol-filter-inactive').uncheck();
      await t.until(async () => (await t.text('volunteer-count')).includes(t.num(all.length)), 'active only');

      await t.page.locator('body').click({ position: { x: 5, y: 790 } });
      await t.page.keyboard.press('/');
      await t.page.keyboard.type(t.call('volunteers_search').args.filter.text);
      const hits = t.call('volunteers_search').ok.length;
      await t.until(async () => (await t.count('volunteer-row')) === hits, `${hits} found`);
      await t.id('vol-search').fill('');
      await t.until(async () => (await t.count('volunteer-row')) === Math.min(200, all.length), 'cleared');

      await t.page.locator('body').click({ position: { x: 5, y: 790 } });
      await t.page.keyboard.press('j');
      await t.page.keyboard.press('j');
      await t.page.keyboard.press('k');
      await t.page.keyboard.press('k');
      await t.until(async () => (await t.page.locator('[data-testid="volunteer-row"].sel').getAttribute('data-id')) === all[0].id, 'first selected');
      await t.page.keyboard.press('Enter');
      await t.visible('volunteer-panel');
      await t.until(async () => (await t.text('volunteer-panel')).includes(t.call('vol_detail_first').ok.volunteer.phone), 'their page');
      await t.page.keyboard.press('Escape');
      await t.gone('volunteer-panel');
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: redemption shows the voucher to read out and lowers the balance; a correction needs a reason',
    async run(t) {
      const call = t.call('vol_redeem');
      const id = call.args.volunteer_id;
      const before = t.call('vol_detail').ok.volunteer.balance;
      await t.open();
      await volunteers(t);
      await openVolunteer(t, 'volunteers', id, ['vol_detail']);
      await t.until(async () => (await t.text('vp-balance')).includes(t.num(before)), 'the balance');
      await t.id('vp-redeem').click();
      await t.visible('points-redeem');
      await t.id('points-shop').selectOption(call.args.shop_id);
      await t.id('points-amount').fill(String(call.args.amount));
      await t.id('points-text').fill(call.args.note);
      assert.match(await t.text('points-after'), new RegExp(t.num(before - call.args.amount)));
      await t.ipc('prefer', ['app_info_demo', 'vol_detail_after_redeem', 'volunteers_after_redeem']);
      await t.id('points-confirm').click();
      await t.visible('voucher');
      assert.equal(await t.text('voucher-code'), call.ok.voucher);
      assert.equal(await t.text('voucher-balance'), t.num(call.ok.balance));
      await t.id('voucher-close').click();
      await t.gone('points-redeem');
      await t.until(async () => (await t.text('vp-balance')).includes(t.num(call.ok.balance)), 'balance reduced');
      const top = t.page.locator('[data-testid="vp-ledger"] [data-testid="ledger-entry"]').first();
      assert.equal(await top.getAttribute('data-kind'), 'redeem');
      assert.match(await top.textContent(), new RegExp(call.ok.voucher));
      assert.match(await top.textContent(), /惠民超市|百草堂药房|老王理发店|邻里便利店/);

      // A correction: a signed amount and a reason, both required.
      const fix = t.call('vol_correct');
      await t.id('vp-correct').click();
      await t.visible('points-correct');
      await t.id('points-amount').fill(String(fix.args.amount));
      assert.ok(await t.id('points-confirm').isDisabled(), 'no reason, no correction');
      await t.id('points-text').fill(fix.args.reason);
      await t.ipc('prefer', ['app_info_demo', 'vol_detail_after_correct', 'volunteers_after_redeem']);
      await t.id('points-confirm').click();
      await t.gone('points-correct');
      await t.until(async () => (await t.text('vp-balance')).includes(t.num(fix.ok.balance)), 'corrected');
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: added with the hours understood live (or why not), and edited',
    async run(t) {
      const draft = t.call('vol_create').args.draft;
      await t.open();
      await volunteers(t);
      await t.id('vol-add').click();
      await t.visible('volunteer-add');
      await t.id('vf-name').fill(draft.name);
      await t.id('vf-phone').fill(draft.phone);
      await t.id('vf-area').selectOption(draft.area_id);
      for (const k of [...draft.skills].reverse()) await t.page.locator(`[data-testid="vf-skill"][data-key="${k}"]`).check();
      await t.id('vf-availability').fill(t.call('avail_err').args.text);
      await t.visible('vf-availability-error');
      assert.match(await t.text('vf-availability-error'), /“周八”无法识别：请写成“周一至周五 18:00-21:00”/);
      assert.ok(await t.id('vf-save').isDisabled(), 'not saved while not understood');
      await t.id('vf-availability').fill(t.call('avail_ok').args.text);
      await t.visible('vf-availability-strip');
      await t.gone('vf-availability-error');
      assert.match(await t.text('vf-availability-strip'), /周六.*全天/s);
      await t.id('vf-capacity').fill(String(draft.capacity));
      await t.id('vf-vehicle').fill(draft.vehicle);
      await t.ipc('prefer', ['app_info_demo', 'volunteers_after_create', 'vol_detail_created']);
      await t.id('vf-save').click();
      await t.gone('volunteer-add');
      const made = (await t.log()).find((c) => c.cmd === 'volunteer_create');
      assert.deepEqual(made.args, t.call('vol_create').args, 'the draft as recorded');
      await t.visible('volunteer-panel');
      await t.until(async () => (await t.text('volunteer-panel')).includes(draft.phone), 'the new volunteer open');
      await t.page.keyboard.press('Escape');
      await t.gone('volunteer-panel');

      // Edited: new hours and tasks at once; only what changed is sent.
      const edit = t.call('vol_update');
      await openVolunteer(t, 'volunteers_after_create', edit.args.id, ['vol_detail_after_correct']);
      await t.id('vp-edit').click();
      await t.visible('volunteer-form');
      await t.id('vf-availability').fill(t.call('avail_ok').args.text);
      await t.visible('vf-availability-strip');
      await t.id('vf-capacity').fill(String(edit.args.patch.capacity));
      await t.ipc('prefer', ['app_info_demo', 'vol_detail_after_update', 'volunteers_after_create']);
      await t.id('vf-save').click();
      await t.gone('volunteer-form');
      const sent = (await t.log()).find((c) => c.cmd === 'volunteer_update');
      assert.deepEqual(sent.args, edit.args);
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: the at-risk report lists missed last tasks and stale work, released back to the queue',
    async run(t) {
      const risk = t.call('at_risk').ok;
      await t.open();
      await volunteers(t);
      assert.equal(await t.text('vol-risk-count'), t.num(risk.length));
      await t.id('vol-tab-risk').click();
      await t.until(async () => (await t.count('at-risk-row')) === risk.length, 'everyone at risk');
      assert.equal(await t.count('at-risk-missed'), risk.filter((r) => r.missed_last).length);
      assert.equal(await t.count('at-risk-stale'), risk.reduce((n, r) => n + r.stale.length, 0));
      assert.match(await t.text('at-risk'), /件任务超过 120 分钟没有进展/);
      const release = t.call('at_risk_release');
      await t.ipc('prefer', ['app_info_demo', 'at_risk_after_release']);
      await t.page.locator(`[data-testid="at-risk-stale"][data-id="${release.args.id}"] [data-testid="at-risk-release"]`).click();
      await t.visible('reason-dialog');
      assert.ok(await t.id('reason-confirm').isDisabled(), 'a reason is required');
      await t.id('reason-text').fill(release.args.note);
      await t.id('reason-confirm').click();
      await t.gone('reason-dialog');
      await t.until(async () => (await t.page.locator(`[data-testid="at-risk-stale"][data-id="${release.args.id}"]`).count()) === 0, 'released');
      assert.deepEqual((await t.log()).find((c) => c.cmd === 'assignment_record').args, release.args);
      assert.match(await t.texts('toast'), /诉求退回待派/);

      // The points: each grid's leaderboard and the whole ledger.
      await t.id('vol-tab-points').click();
      await t.until(async () => (await t.count('leader')) === t.call('leaderboard').ok.length, 'the leaderboard');
      await t.visible('ledger-all');
      assert.equal(await t.page.locator('[data-testid="ledger-all"] [data-testid="ledger-entry"]').count(), Math.min(100, t.call('ledger_all').ok.length));
      await t.noMisses([]);
    },
  },
  {
    name: 'volunteers: the district’s settings: cap and staleness, what a category asks, a skill, the shops',
    async run(t) {
      const before = t.call('vol_refdata').ok;
      await t.open();
      await t.ipc('prefer', ['app_info_demo', 'vol_refdata']);
      await t.id('nav-settings').click();
      await t.visible('volunteer-settings');
      await t.until(async () => (await t.count('vs-shop')) === before.shops.length, 'the shops');
      const same = (a, b) => {
        try {
          assert.deepStrictEqual(a, b);
          return true;
        } catch {
          return false;
        }
      };
      const saved = async (cmd, name) => {
        await t.until(async () => (await t.log()).some((c) => c.cmd === cmd && same(c.args, t.call(name).args)), `${name} sent`);
      };
      // A shop stops taking points (the first, as recorded).
      await t.id('vs-shop').first().locator('[data-testid="vs-shop-active"]').uncheck();
      await t.ipc('prefer', ['app_info_demo', 'vol_refdata_after']);
      await t.id('vs-shop').first().locator('[data-testid="vs-shop-save"]').click();
      await saved('shop_set', 'shop_deactivate');
      // Medicine runs earn more and hold the volunteer longer.
      const service = t.call('service_set').args.service;
      const row = t.page.locator(`[data-testid="vs-service"][data-category="${service.category}"]`);
      await row.locator('[data-testid="vs-service-points"]').fill(String(service.points));
      await row.locator('[data-testid="vs-service-minutes"]').fill(String(service.task_minutes));
      await row.locator('[data-testid="vs-service-save"]').click();
      await saved('category_service_set', 'service_set');
      const settings = t.call('vol_settings_set').args.settings;
      await t.id('vs-cap').fill(String(settings.points_daily_cap));
      await t.id('vs-stale').fill(String(settings.stale_minutes));
      await t.id('vs-save').click();
      await saved('volunteer_settings_set', 'vol_settings_set');
      const skill = t.call('skill_set').args.skill;
      await t.id('vs-skill-key').fill(skill.key);
      await t.id('vs-skill-zh').fill(skill.label_zh);
      await t.id('vs-skill-en').fill(skill.label_en);
      await t.id('vs-skill-add').click();
      await saved('skill_set', 'skill_set');
      const shop = t.call('shop_add').args.shop;
      await t.id('vs-shop-name').fill(shop.name);
      await t.id('vs-shop-address').fill(shop.address);
      await t.id('vs-shop-add').click();
      await saved('shop_set', 'shop_add');
      // What the district has now.
      const after = t.call('vol_refdata_after').ok;
      await t.until(async () => (await t.count('vs-shop')) === after.shops.length, 'the new shop listed');
      await t.until(async () => (await t.count('vs-skill')) === after.skills.length, 'the new skill listed');
      assert.equal(await t.id('vs-cap').inputValue(), String(after.settings.points_daily_cap));
      assert.match(await t.texts('toast'), /已保存商户“康乐药房”/);
      await t.noMisses([]);
    },
  },
];
