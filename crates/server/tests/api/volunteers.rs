//! Volunteers through the real server: two laptops (real stores, the real sync client over
//! HTTP) booking the same volunteer or spending the same points offline, on SQLite and on
//! PostgreSQL. The server decides from its own count (`volunteer_state`, read through each
//! storage's transaction, on PostgreSQL past a prefetch that does not know these rows).

use jiayuan_core::requests::{self, NewRequest, Status, Step};
use jiayuan_core::volunteers::assignment::{self, AssignInput, AssignmentStatus, Move};
use jiayuan_core::volunteers::points;
use jiayuan_core::volunteers::refdata::{self, Shop, VolunteerSettings};
use jiayuan_core::volunteers::{self, VolunteerDraft};
use jiayuan_core::Clock;
use jiayuan_server::NewUser;

use jiayuan_core::sync::wire::Role;

use crate::harness::{on_both, Backend, Laptop, TestServer, DISTRICT};

on_both!(
    one_volunteer_booked_on_two_laptops_offline_is_refused_on_the_second_with_its_reason,
    a_redemption_beyond_the_servers_balance_is_refused,
    the_daily_cap_clamps_then_drops_what_two_laptops_confirmed,
);

impl Laptop {
    /// What the server refused: the op's kind, the English reason and the code beside it.
    fn refusals(&self) -> Vec<(String, String, Option<jiayuan_core::Refusal>)> {
        let c = jiayuan_core::sync::view::conflicts(&self.store).unwrap();
        c.rejections.into_iter().map(|r| (r.kind, r.reason, r.refusal)).collect()
    }

    /// Its volunteers, their assignments and ledger, and the requests they were sent to, as
    /// comparable text (through the same reads the app shows).
    fn held(&self) -> Vec<String> {
        let now = self.clock.now();
        let filter = volunteers::VolunteerFilter { inactive: true, ..Default::default() };
        let mut out = Vec::new();
        for v in volunteers::list(&self.store, &filter).unwrap() {
            out.push(format!("{}|{}|{}|{}|{}", v.id, v.name, v.capacity, v.load, v.balance));
            for a in assignment::for_volunteer(&self.store, now, &v.id, 100).unwrap() {
                let r = requests::read::get(&self.store, &a.request_id, now).unwrap();
                out.push(format!(
                    "{}|{}|{:?}|{}|{}|{}|{:?}|{}|{:?}",
                    a.id,
                    a.request_id,
                    a.status,
                    a.window_from_ms,
                    a.window_to_ms,
                    a.points,
                    r.status,
                    r.round,
                    r.assignee
                ));
            }
        }
        let mut ledger: Vec<String> = points::ledger(&self.store, None)
            .unwrap()
            .into_iter()
            .map(|e| {
                format!("{}|{:?}|{}|{}|{}|{}", e.id, e.kind, e.amount, e.day, e.note, e.actor_name)
            })
            .collect();
        ledger.sort();
        out.extend(ledger);
        out
    }

    fn assignment_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = volunteers::list(&self.store, &Default::default())
            .unwrap()
            .into_iter()
            .flat_map(|v| {
                assignment::for_volunteer(&self.store, self.clock.now(), &v.id, 100).unwrap()
            })
            .map(|a| a.id)
            .collect();
        ids.sort();
        ids
    }
}

/// Two laptops of one district: the admin's and a district supervisor's.
fn two(ts: &TestServer) -> (Laptop, Laptop) {
    let pw = ts.admin_password();
    ts.server
        .add_user(&NewUser {
            name: "li".into(),
            display_name: "李主任".into(),
            role: Role::DistrictSupervisor,
            district: DISTRICT.into(),
            scope_path: String::new(),
            password: "li-password-1".into(),
        })
        .unwrap();
    (Laptop::new(ts, "admin", &pw), Laptop::new(ts, "li", "li-password-1"))
}

fn volunteer(l: &mut Laptop, name: &str, capacity: u32) -> String {
    let draft = VolunteerDraft {
        name: name.into(),
        phone: Some("13912340001".into()),
        capacity,
        ..VolunteerDraft::default()
    };
    l.ctx(|c| volunteers::create(c, draft)).unwrap().id
}

/// An accepted medicine run (8 points).
fn request(l: &mut Laptop) -> String {
    let input = NewRequest {
        category: "medicine".into(),
        description: "需要买降压药".into(),
        ..NewRequest::default()
    };
    let id = l.ctx(|c| requests::create(c, input)).unwrap().id;
    l.ctx(|c| requests::act(c, &id, Step::Accept)).unwrap();
    id
}

fn assign(l: &mut Laptop, request: &str, volunteer: &str) -> String {
    let input = AssignInput {
        request_id: request.into(),
        volunteer_id: volunteer.into(),
        slot: None,
        note: None,
    };
    l.ctx(|c| assignment::assign(c, input)).unwrap().id
}

fn one_volunteer_booked_on_two_laptops_offline_is_refused_on_the_second_with_its_reason(
    b: Backend,
) {
    let ts = TestServer::start(b);
    let (mut a, mut c) = two(&ts);
    let vol = volunteer(&mut a, "李四", 1);
    let (r1, r2) = (request(&mut a), request(&mut a));
    a.sync();
    c.sync();
    // Offline, each laptop sends the volunteer (one task at a time) to another request.
    let kept = assign(&mut a, &r1, &vol);
    let lost = assign(&mut c, &r2, &vol);
    assert_eq!(a.sync().rejected, 0);
    assert_eq!(c.sync().rejected, 1);
    a.sync();
    let why = c.refusals();
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "assignment.make");
    assert!(why[0].1.contains("limit"), "{why:?}");
    assert_eq!(why[0].2, Some(jiayuan_core::Refusal::AtCapacity { active: 1 }), "as a code too");
    for l in [&a, &c] {
        assert_eq!(l.assignment_ids(), vec![kept.clone()]);
        let back = requests::read::get(&l.store, &r2, l.clock.now()).unwrap();
        assert_eq!((back.status, back.assignee), (Status::Accepted, None));
    }
    assert!(assignment::get(&c.store, c.clock.now(), &lost).is_err(), "the refused one is gone");
    assert_eq!(a.held(), c.held());
    // A new laptop pulls the same: the server kept one assignment.
    let mut fresh = Laptop::new(&ts, "li", "li-password-1");
    fresh.sync();
    assert_eq!(fresh.held(), a.held());
    // Done, the volunteer is free on the server again: the second request goes through.
    a.ctx(|x| assignment::record(x, &kept, Move::Done, None)).unwrap();
    a.sync();
    c.sync();
    assign(&mut c, &r2, &vol);
    assert_eq!(c.sync().rejected, 0);
    let x = assignment::for_request(&c.store, c.clock.now(), &r2).unwrap();
    assert_eq!((x[0].status, x[0].pending), (AssignmentStatus::Proposed, false));
}

fn a_redemption_beyond_the_servers_balance_is_refused(b: Backend) {
    let ts = TestServer::start(b);
    let (mut a, mut c) = two(&ts);
    let vol = volunteer(&mut a, "吴十", 1);
    let shop = a
        .ctx(|x| {
            refdata::set_shop(
                x,
                Shop {
                    id: String::new(),
                    name: "惠民超市".into(),
                    address: String::new(),
                    active: true,
                },
            )
        })
        .unwrap()
        .id;
    a.ctx(|x| points::correct(x, &vol, 15, "补录三月服务")).unwrap();
    a.sync();
    c.sync();
    a.ctx(|x| points::redeem(x, &vol, &shop, 10, "")).unwrap();
    c.ctx(|x| points::redeem(x, &vol, &shop, 10, "")).unwrap();
    assert_eq!(a.sync().rejected, 0);
    assert_eq!(c.sync().rejected, 1);
    a.sync();
    let why = c.refusals();
    assert_eq!(why[0].0, "points.redeem");
    assert!(why[0].1.contains("balance is 5 points"), "{why:?}");
    assert_eq!(why[0].2, Some(jiayuan_core::Refusal::BalanceTooLow { balance: 5, amount: 10 }));
    for l in [&a, &c] {
        assert_eq!(points::balance(&l.store, &vol).unwrap(), 5);
        let ledger = points::ledger(&l.store, Some(&vol)).unwrap();
        assert_eq!(ledger.iter().filter(|e| e.amount < 0).count(), 1, "one voucher");
    }
    assert_eq!(a.held(), c.held());
}

fn the_daily_cap_clamps_then_drops_what_two_laptops_confirmed(b: Backend) {
    let ts = TestServer::start(b);
    let (mut a, mut c) = two(&ts);
    a.ctx(|x| {
        refdata::set_settings(x, VolunteerSettings { points_daily_cap: 12, stale_minutes: 120 })
    })
    .unwrap();
    let vol = volunteer(&mut a, "周九", 3);
    let tasks: Vec<String> = (0..3)
        .map(|_| {
            let r = request(&mut a);
            assign(&mut a, &r, &vol)
        })
        .collect();
    a.sync();
    c.sync();
    let done = |l: &mut Laptop, t: &str| {
        l.ctx(|x| assignment::record(x, t, Move::Done, None)).unwrap();
        l.ctx(|x| assignment::confirm(x, t)).unwrap();
    };
    done(&mut a, &tasks[0]);
    done(&mut c, &tasks[1]);
    done(&mut c, &tasks[2]);
    assert_eq!(a.sync().rejected, 0);
    assert_eq!(c.sync().rejected, 0);
    a.sync();
    for l in [&a, &c] {
        assert_eq!(points::balance(&l.store, &vol).unwrap(), 12, "8, then 4 of the cap, then none");
        assert_eq!(points::ledger(&l.store, Some(&vol)).unwrap().len(), 2);
    }
    assert_eq!(a.held(), c.held());
}
