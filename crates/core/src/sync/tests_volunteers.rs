//! Volunteers on two and three laptops against the in-memory server: what officials record
//! offline about the same volunteers, tasks and points cannot add up to a breach of the rules
//! the server decides (`rules_volunteer.rs`), and every laptop converges on its decision.

use std::sync::Arc;

use super::memhub::MemServer;
use super::tests::{Device, PushOnly};
use super::tests_volunteers_kit::{
    all, assign, balances_agree, count, daily_cap, draft, on_server, one_task, record, refused,
    request, request_input, server, shop, state, sync_both, tasks, two_laptops, volunteer,
};
use super::wire::entity;
use crate::clock::{Clock, ManualClock};
use crate::desk::Desk;
use crate::requests::{Status, Step};
use crate::volunteers::assignment::{self, AssignInput, AssignmentStatus, Move};
use crate::volunteers::{self, points};

#[test]
fn one_volunteer_booked_offline_on_two_laptops_stands_once_and_the_other_laptop_shows_why() {
    let server = server();
    let clock = Arc::new(ManualClock::fixed());
    let a = Desk::in_memory(clock.clone()).expect("desk a");
    let b = Desk::in_memory(clock.clone()).expect("desk b");
    a.sync_login(&server, "mem://", "alice", "alice", "laptop A").expect("login a");
    b.sync_login(&server, "mem://", "bob", "bob", "laptop B").expect("login b");
    let vol = a.volunteer_create(draft("李四", 1)).expect("volunteer").id;
    let mut reqs = Vec::new();
    for _ in 0..2 {
        let id = a.request_create(request_input()).expect("request").id;
        a.request_step(&id, Step::Accept).expect("accept");
        reqs.push(id);
    }
    a.sync_now(&server, &mut |_| {}).expect("a syncs");
    b.sync_now(&server, &mut |_| {}).expect("b syncs");
    // Offline, each laptop sends the same volunteer (one task at a time) to another request.
    let input = |r: &str| AssignInput {
        request_id: r.into(),
        volunteer_id: vol.clone(),
        slot: None,
        note: None,
    };
    let kept = a.dispatch_assign(input(&reqs[0])).expect("a dispatches");
    let lost = b.dispatch_assign(input(&reqs[1])).expect("b dispatches");
    assert!(lost.pending, "made offline: waiting for the server");
    assert_eq!(b.request_detail(&reqs[1]).expect("detail").status, Status::Assigned);

    assert_eq!(a.sync_now(&server, &mut |_| {}).expect("a").rejected, 0);
    assert_eq!(b.sync_now(&server, &mut |_| {}).expect("b").rejected, 1);
    a.sync_now(&server, &mut |_| {}).expect("a again");

    // The server: one assignment, one booking.
    let assignments = on_server(&server, entity::ASSIGNMENT);
    assert_eq!(assignments.len(), 1, "{assignments:?}");
    assert_eq!(assignments[0].id, kept.id);
    let bookings = state(&server, &vol)["bookings"].as_object().cloned().expect("bookings");
    assert_eq!(bookings.keys().collect::<Vec<_>>(), vec![&kept.id]);
    // Both laptops: the same one assignment.
    for d in [&a, &b] {
        let open = d.assignments_open().expect("open");
        assert_eq!(open.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), vec![kept.id.as_str()]);
        assert!(!open[0].pending);
        let first = d.request_detail(&reqs[0]).expect("detail");
        assert_eq!((first.status, first.assignee.as_deref()), (Status::Assigned, Some("李四")));
    }
    // Laptop B shows the refusal on the request's dispatch panel, its assignment gone and the
    // request back in the queue as it was before the dispatch.
    let panel = b.request_dispatch(&reqs[1]).expect("dispatch panel");
    assert!(panel.assignments.is_empty(), "{:?}", panel.assignments);
    assert_eq!(panel.refusals.len(), 1);
    let why = &panel.refusals[0];
    assert_eq!(why.kind, "assignment.make");
    assert_eq!(why.refusal, Some(crate::Refusal::AtCapacity { active: 1 }), "the limit, as a code");
    assert!(why.reason.contains("limit"), "the reason names the booking limit: {}", why.reason);
    let back = b.request_detail(&reqs[1]).expect("detail");
    assert_eq!((back.status, back.round, back.assignee), (Status::Accepted, 1, None));
    assert!(
        back.timeline.iter().all(|e| e.kind != "assign"),
        "the refused dispatch left no step in the history: {:?}",
        back.timeline.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
    assert_eq!(a.request_detail(&reqs[1]).expect("detail").status, Status::Accepted);
    // And the volunteer's page says one task.
    for d in [&a, &b] {
        assert_eq!(d.volunteer_detail(&vol).expect("page").volunteer.load, 1);
    }
    // The request can go to someone else now.
    let other = b.volunteer_create(draft("王五", 1)).expect("volunteer").id;
    b.dispatch_assign(AssignInput { volunteer_id: other, ..input(&reqs[1]) }).expect("again");
    assert_eq!(b.sync_now(&server, &mut |_| {}).expect("b").rejected, 0);
}

#[test]
fn redemptions_offline_on_two_laptops_never_overdraw_the_balance() {
    let (server, mut a, mut b) = two_laptops();
    let vol = volunteer(&mut a, "吴十", 1);
    let shop = shop(&mut a, "惠民超市");
    a.ctx(|c| points::correct(c, &vol, 15, "补录三月服务")).expect("points");
    sync_both(&server, &mut a, &mut b);
    assert_eq!(points::balance(&b.store, &vol).expect("balance"), 15);
    // Offline: 10 on each laptop, 20 of 15.
    a.ctx(|c| points::redeem(c, &vol, &shop, 10, "")).expect("a redeems");
    b.clock.advance_ms(60_000);
    b.ctx(|c| points::redeem(c, &vol, &shop, 10, "")).expect("b redeems");
    assert_eq!(a.sync(&server).expect("a").rejected, 0);
    assert_eq!(b.sync(&server).expect("b").rejected, 1);
    a.sync(&server).expect("a");
    let why = refused(&b.store);
    assert_eq!(why.len(), 1);
    assert_eq!(why[0].0, "points.redeem");
    assert!(why[0].1.contains("balance is 5 points"), "{}", why[0].1);
    assert_eq!(balances_agree(&server, &vol, &[&a, &b]), 5);
    let redeemed = on_server(&server, entity::POINTS_ENTRY)
        .iter()
        .filter(|e| e.str("kind") == Some("redeem"))
        .count();
    assert_eq!(redeemed, 1, "one voucher");
    assert_eq!(all(&a.store), all(&b.store));
    // A negative correction beyond the server's balance is refused the same way.
    a.ctx(|c| points::correct(c, &vol, -5, "录错")).expect("a corrects");
    b.ctx(|c| points::correct(c, &vol, -5, "录错")).expect("b corrects");
    a.sync(&server).expect("a");
    assert_eq!(b.sync(&server).expect("b").rejected, 1);
    a.sync(&server).expect("a");
    assert_eq!(balances_agree(&server, &vol, &[&a, &b]), 0);
    assert_eq!(all(&a.store), all(&b.store));
}

/// Three tasks of one volunteer done and confirmed on one day, on two laptops.
#[test]
fn the_daily_cap_holds_across_laptops_the_later_earnings_clamped_then_dropped() {
    let (server, mut a, mut b) = two_laptops();
    daily_cap(&mut a, 12);
    let vol = volunteer(&mut a, "周九", 3);
    let tasks = tasks(&mut a, &vol, 3, false);
    sync_both(&server, &mut a, &mut b);
    // Offline: A finishes the first; B the other two (locally 8, then 4 of the cap of 12).
    for (d, t) in [(&mut a, &tasks[0]), (&mut b, &tasks[1])] {
        record(d, t, Move::Done).expect("done");
        d.ctx(|c| assignment::confirm(c, t)).expect("confirm");
    }
    record(&mut b, &tasks[2], Move::Done).expect("done");
    b.ctx(|c| assignment::confirm(c, &tasks[2])).expect("confirm");
    assert_eq!(points::balance(&a.store, &vol).expect("a"), 8);
    assert_eq!(points::balance(&b.store, &vol).expect("b"), 12);
    assert_eq!(a.sync(&server).expect("a").rejected, 0);
    assert_eq!(b.sync(&server).expect("b").rejected, 0, "the confirmations stand");
    a.sync(&server).expect("a");
    // On the server: 8 for the first, the second clamped to 4, the third dropped.
    let entries = on_server(&server, entity::POINTS_ENTRY);
    let amount = |t: &str| {
        entries
            .iter()
            .find(|e| e.str("assignment_id") == Some(t))
            .map(|e| e.fields["amount"].as_i64().expect("amount"))
    };
    assert_eq!(amount(&tasks[0]), Some(8));
    assert_eq!(amount(&tasks[1]), Some(4));
    assert_eq!(amount(&tasks[2]), None);
    let day = entries[0].str("day").expect("day").to_owned();
    assert_eq!(state(&server, &vol)["earned"][&day].as_i64(), Some(12));
    assert_eq!(balances_agree(&server, &vol, &[&a, &b]), 12);
    assert_eq!(all(&a.store), all(&b.store), "every laptop holds the same ledger");
    let notes: Vec<String> =
        points::ledger(&b.store, Some(&vol)).expect("ledger").into_iter().map(|e| e.note).collect();
    assert!(notes.iter().any(|n| n.contains("on the server")), "the clamp says why: {notes:?}");
    // The third task stays confirmed; it just earned nothing.
    for t in &tasks {
        let x = assignment::get(&a.store, a.clock.now(), t).expect("task");
        assert_eq!(x.confirmed_by.as_deref(), Some("official"));
    }
}

#[test]
fn a_task_confirmed_on_two_laptops_earns_once() {
    let (server, mut a, mut b) = two_laptops();
    let (vol, _, t) = one_task(&mut a, "郑一");
    record(&mut a, &t, Move::Done).expect("done");
    sync_both(&server, &mut a, &mut b);
    a.ctx(|c| assignment::confirm(c, &t)).expect("a confirms");
    b.clock.advance_ms(120_000);
    b.ctx(|c| assignment::confirm(c, &t)).expect("b confirms");
    a.sync(&server).expect("a");
    // Right after its push is answered (before any pull), B holds the server's entry, not its
    // own copy of the same earning: the entry's id is the task's.
    b.sync(&PushOnly(&server)).expect_err("the pull is cut off");
    let mine = |d: &Device| super::sim::volunteer_lines(d.store.conn());
    assert_eq!(mine(&b), mine(&a), "the server's copy of the earning and of the confirmation");
    b.sync(&server).expect("b");
    let entries = on_server(&server, entity::POINTS_ENTRY);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].str("actor_name"), Some("alice"));
    assert_eq!(balances_agree(&server, &vol, &[&a, &b]), 8);
    assert_eq!(all(&a.store), all(&b.store));
    assert!(refused(&b.store).is_empty(), "the second confirmation is not an error");
}

#[test]
fn a_no_show_and_a_done_for_one_task_on_two_laptops_end_as_the_first_to_arrive() {
    for no_show_first in [true, false] {
        let (server, mut a, mut b) = two_laptops();
        let (vol, r, t) = one_task(&mut a, "赵六");
        sync_both(&server, &mut a, &mut b);
        // A: the volunteer never came (back to the queue); B: done, and confirmed.
        record(&mut a, &t, Move::NoShow).expect("no-show");
        b.clock.advance_ms(60_000);
        record(&mut b, &t, Move::Done).expect("done");
        b.ctx(|c| assignment::confirm(c, &t)).expect("confirm");
        let mut d = [a, b];
        let (first, second) = if no_show_first { (0, 1) } else { (1, 0) };
        assert_eq!(d[first].sync(&server).expect("first").rejected, 0);
        let refusals = d[second].sync(&server).expect("second").rejected;
        d[first].sync(&server).expect("first again");
        let (status, request_status, round, earned) = if no_show_first {
            (AssignmentStatus::NoShow, "accepted", 2, 0)
        } else {
            (AssignmentStatus::Done, "resolved", 1, 8)
        };
        let why = refused(&d[second].store);
        assert_eq!(why.len() as u32, refusals);
        if no_show_first {
            // The done and the confirmation that followed it.
            assert_eq!(why.len(), 2, "{why:?}");
            assert!(why[0].1.contains("already ended"), "the task ended on the server: {why:?}");
            assert!(why[1].1.contains("no_show, not done"), "{why:?}");
        } else {
            assert_eq!(why.len(), 1, "{why:?}");
            assert!(why[0].1.contains("already ended"), "{why:?}");
        }
        for x in &d {
            let task = assignment::get(&x.store, x.clock.now(), &t).expect("task");
            assert_eq!(task.status, status);
            let (s, n): (String, u32) = x
                .store
                .conn()
                .query_row("SELECT status, round FROM requests WHERE id = ?1", [&r], |q| {
                    Ok((q.get(0)?, q.get(1)?))
                })
                .expect("request");
            assert_eq!((s.as_str(), n), (request_status, round));
        }
        assert_eq!(balances_agree(&server, &vol, &[&d[0], &d[1]]), earned);
        assert_eq!(all(&d[0].store), all(&d[1].store));
        let on = on_server(&server, entity::ASSIGNMENT);
        assert_eq!(on[0].str("status"), Some(status.as_str()));
    }
}

#[test]
fn an_assignment_made_offline_is_pending_until_the_server_answers() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    let vol = volunteer(&mut a, "孙八", 1);
    let r = request(&mut a);
    a.sync(&server).expect("a");
    let t = assign(&mut a, &r, &vol).expect("assign");
    let shown = |d: &Device| {
        assignment::for_request(&d.store, d.clock.now(), &r).expect("for request")[0].pending
    };
    assert!(shown(&a), "made offline");
    server.online.set(false);
    a.sync(&server).expect_err("offline");
    assert!(shown(&a), "still waiting while the server cannot be reached");
    server.online.set(true);
    a.sync(&PushOnly(&server)).expect_err("the pull is cut off");
    assert!(!shown(&a), "acknowledged by the push alone");
    record(&mut a, &t, Move::Accept).expect("accept");
    assert!(shown(&a), "a move recorded offline is pending too");
    a.sync(&server).expect("a");
    assert!(!shown(&a));
}

#[test]
fn a_full_resync_forgets_volunteer_rows_the_server_no_longer_has_and_keeps_work_waiting() {
    let (s, mut a, mut b) = two_laptops();
    let kept = volunteer(&mut a, "张三", 2);
    let purged = volunteer(&mut a, "李四", 1);
    let r = request(&mut a);
    let done = assign(&mut a, &r, &kept).expect("assign");
    record(&mut a, &done, Move::Done).expect("done");
    a.ctx(|c| assignment::confirm(c, &done)).expect("confirm");
    a.ctx(|c| points::correct(c, &purged, 3, "补录")).expect("points");
    sync_both(&s, &mut a, &mut b);
    assert_eq!(count(&b.store, "SELECT count(*) FROM volunteers"), 2);
    // The server purges one volunteer and its entry, past b's cursor.
    let entry = on_server(&s, entity::POINTS_ENTRY)
        .into_iter()
        .find(|e| e.str("volunteer_id") == Some(purged.as_str()))
        .expect("entry")
        .id;
    s.hub
        .borrow_mut()
        .purge(&[(entity::VOLUNTEER, purged.as_str()), (entity::POINTS_ENTRY, &entry)]);
    // B's own work, not yet sent: a task and points for the kept volunteer.
    let r2 = request(&mut b);
    let mine = assign(&mut b, &r2, &kept).expect("b assigns");
    b.ctx(|c| points::correct(c, &kept, 2, "b 补录")).expect("b's points");
    // The resync alone (before anything is sent): only the work waiting and what the server
    // sends again stays.
    super::pull::resync(&mut b.store).expect("forget");
    assert_eq!(count(&b.store, "SELECT count(*) FROM volunteers"), 0);
    let left: Vec<String> = {
        let mut stmt =
            b.store.conn().prepare("SELECT id FROM assignments ORDER BY id").expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(left, vec![mine.clone()], "b's unsent task stays, a's synced one is forgotten");
    assert_eq!(count(&b.store, "SELECT count(*) FROM points_ledger"), 1, "b's unsent entry");
    assert_eq!(
        count(&b.store, "SELECT count(*) FROM field_clocks WHERE entity IN ('volunteer', 'assignment', 'points_entry') AND entity_id NOT IN (SELECT id FROM assignments UNION SELECT id FROM points_ledger)"),
        0,
        "no clocks of forgotten rows"
    );
    // Then a whole sync: b's work is sent, the server's rows come back, the purged do not: b
    // holds what a new laptop pulls.
    assert_eq!(b.sync(&s).expect("b").rejected, 0);
    assert!(volunteers::get(&b.store, &purged).expect("get").is_none());
    assert!(volunteers::get(&b.store, &kept).expect("get").is_some());
    let fresh = |s: &MemServer| {
        let mut c = Device::new(s, "carol");
        c.sync(s).expect("a new laptop");
        all(&c.store)
    };
    assert_eq!(all(&b.store), fresh(&s));
    assert_eq!(points::balance(&b.store, &kept).expect("balance"), 10, "8 earned, 2 corrected");
    // Through sync itself, once more: the horizon passes b's cursor again.
    b.ctx(|c| points::correct(c, &kept, 1, "再补")).expect("more");
    a.ctx(|c| points::correct(c, &kept, 1, "a 再补")).expect("a's");
    a.sync(&s).expect("a");
    s.hub.borrow_mut().purge(&[]);
    b.sync(&s).expect("b resyncs");
    a.sync(&s).expect("a");
    assert_eq!(all(&b.store), fresh(&s));
    assert_eq!(b.store.stats().expect("stats").outbox, 0);
    assert_eq!(balances_agree(&s, &kept, &[&a, &b]), 12);
}
