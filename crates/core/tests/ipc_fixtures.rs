//! Records the replies the UI's browser tests mock, from the real desk API on a real store:
//! a demo district, a roster with rejected rows imported through the wizard's calls. The UI
//! tests replay `ui/tests/fixtures/ipc.json`, so their mocks cannot drift from the backend:
//! this test fails when the recorded file differs from what the code answers now. Sync is
//! recorded from two in-memory desks logged in to an in-memory server: a first sync with its
//! progress, an offline attempt, a conflict each way and a refusal.
//! `UPDATE_FIXTURES=1 cargo test -p jiayuan-core --test ipc_fixtures` rewrites it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiayuan_core::desk::volunteers::{DispatchQuery, RequestDispatch, VolunteerDetail};
use jiayuan_core::desk::work::{PreviewRequest, QueuePage};
use jiayuan_core::desk::*;
use jiayuan_core::requests::queue::QueueFilter;
use jiayuan_core::requests::read::RequestDetail;
use jiayuan_core::requests::{
    Channel, NewPerson, NewRequest, Priority, Satisfaction, Status, Step,
};
use jiayuan_core::sync::client::SyncReport;
use jiayuan_core::sync::memhub::MemServer;
use jiayuan_core::sync::Role;
use jiayuan_core::volunteers::assignment::{AssignInput, Assignment, Move};
use jiayuan_core::volunteers::availability::Availability;
use jiayuan_core::volunteers::dispatch::Suggestions;
use jiayuan_core::volunteers::refdata::{CategoryService, Shop, Skill, VolunteerSettings};
use jiayuan_core::volunteers::{Health, VolunteerDraft, VolunteerFilter, VolunteerPatch};
use jiayuan_core::{Clock, CoreError, ManualClock};
use jiayuan_testkit::{realistic_roster, to_xlsx, RosterOptions, Sheet, Workbook};
use serde::Serialize;
use serde_json::{json, Value};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/tests/fixtures/ipc.json")
}

#[derive(Default)]
struct Recorder {
    calls: Vec<Value>,
    events: serde_json::Map<String, Value>,
    /// Requests whose dispatch panel was recorded (the request page asks for it with every
    /// request it opens).
    dispatched: std::collections::HashSet<String>,
}

impl Recorder {
    fn rec<T: Serialize>(
        &mut self,
        name: &str,
        cmd: &str,
        args: Value,
        out: Result<T, CoreError>,
    ) -> T {
        match out {
            Ok(v) => {
                let ok = serde_json::to_value(&v).expect("reply serialises");
                self.calls.push(json!({ "name": name, "cmd": cmd, "args": args, "ok": ok }));
                v
            }
            Err(e) => panic!("{name}: {cmd} failed: {e}"),
        }
    }

    fn rec_err(&mut self, name: &str, cmd: &str, args: Value, e: CoreError) {
        let err = serde_json::to_value(ApiError::from(e)).expect("error serialises");
        self.calls.push(json!({ "name": name, "cmd": cmd, "args": args, "err": err }));
    }

    /// The dispatch panel of a request as the request page loads it beside the request: its
    /// assignments, and the ranked suggestions while nobody is on an open request. Recorded
    /// once per request for pages that only need an answer; flows name their own.
    fn dispatch_panel(&mut self, desk: &Desk, id: &str) {
        if !self.dispatched.insert(id.to_owned()) {
            return;
        }
        let n = self.dispatched.len();
        let d = self.dispatch(desk, &format!("dispatch_panel_{n}"), id);
        let status = desk.request_detail(id).expect("request").status;
        if matches!(status, Status::New | Status::Accepted)
            && !d.assignments.iter().any(|a| a.status.is_active())
        {
            self.suggest(desk, &format!("dispatch_panel_suggest_{n}"), &suggest_query(id));
        }
    }

    /// The queue as its page first asks for it: no filter, the first 100.
    fn queue(&mut self, desk: &Desk, name: &str) -> QueuePage {
        let all = QueueFilter::default();
        let args = json!({ "filter": all, "offset": 0, "limit": 100 });
        self.rec(name, "requests_queue", args, desk.requests_queue(&all, 0, 100))
    }

    fn detail(&mut self, desk: &Desk, name: &str, id: &str) -> RequestDetail {
        self.rec(name, "request_detail", json!({ "id": id }), desk.request_detail(id))
    }

    fn dispatch(&mut self, desk: &Desk, name: &str, id: &str) -> RequestDispatch {
        self.rec(name, "request_dispatch", json!({ "request_id": id }), desk.request_dispatch(id))
    }

    /// A request's page in the volunteer flow: `vol_req_detail{suffix}` and its dispatch
    /// panel, `vol_req_dispatch{suffix}`.
    fn vol_request_page(&mut self, desk: &Desk, suffix: &str, id: &str) -> RequestDetail {
        let d = self.detail(desk, &format!("vol_req_detail{suffix}"), id);
        self.dispatch(desk, &format!("vol_req_dispatch{suffix}"), id);
        d
    }

    fn suggest(&mut self, desk: &Desk, name: &str, q: &DispatchQuery) -> Suggestions {
        self.rec(name, "dispatch_suggest", json!({ "query": q }), desk.dispatch_suggest(q))
    }

    fn assign(&mut self, desk: &Desk, name: &str, input: &AssignInput) -> Assignment {
        let args = json!({ "input": input });
        self.rec(name, "dispatch_assign", args, desk.dispatch_assign(input.clone()))
    }

    fn record_move(
        &mut self,
        desk: &Desk,
        name: &str,
        id: &str,
        what: Move,
        note: Option<&str>,
    ) -> Assignment {
        let args = json!({ "id": id, "what": what, "note": note });
        self.rec(
            name,
            "assignment_record",
            args,
            desk.assignment_record(id, what, note.map(Into::into)),
        )
    }

    fn volunteer(&mut self, desk: &Desk, name: &str, id: &str) -> VolunteerDetail {
        self.rec(name, "volunteer_detail", json!({ "id": id }), desk.volunteer_detail(id))
    }

    /// A reply of the shell itself (a file dialog's answer), not of core.
    fn dialog(&mut self, name: &str, purpose: &str, path: &str) {
        self.calls.push(json!({
            "name": name, "cmd": "pick_file", "args": { "purpose": purpose }, "ok": path
        }));
    }
}

/// A volunteer sent to a request, from now, without a note.
fn sending(request_id: &str, volunteer_id: &str) -> AssignInput {
    AssignInput {
        request_id: request_id.to_owned(),
        volunteer_id: volunteer_id.to_owned(),
        slot: None,
        note: None,
    }
}

/// What the dispatch panel asks: the best 20, from now.
fn suggest_query(request_id: &str) -> DispatchQuery {
    DispatchQuery { request_id: request_id.to_owned(), slot: None, top: 20 }
}

fn query(text: &str, community: Option<&str>, offset: u32) -> ResidentQuery {
    ResidentQuery {
        text: text.into(),
        community: community.map(str::to_owned),
        grid: None,
        tag: None,
        offset,
        limit: 100,
    }
}

/// Ids are UUIDs made at random and paths are temporary: both are replaced by stable stand-ins
/// (the same id always by the same one), so the recording is the same on every run. Voucher
/// codes are random too (a code nobody can guess): each becomes a stand-in of the same form.
fn stabilise(text: &str, dir: &Path) -> String {
    let text = stable_vouchers(text);
    let text = text.replace(&dir.display().to_string(), "/fixtures");
    let user_actor = serde_json::to_string(&local_display()).expect("json");
    let text = text.replace(user_actor.trim_matches('"'), "local (official)");
    let bytes = text.as_bytes();
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if i + 36 <= bytes.len() && text.is_char_boundary(i + 36) && is_uuid(&text[i..i + 36]) {
            let id = &text[i..i + 36];
            let n = match seen.iter().position(|s| s == id) {
                Some(n) => n,
                None => {
                    seen.push(id.to_owned());
                    seen.len() - 1
                }
            };
            out.push_str(&format!("00000000-0000-7000-8000-{:012}", n + 1));
            i += 36;
        } else {
            let ch = text[i..].chars().next().expect("char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Every `"voucher": "XXXX-XXXX"` with a stand-in made from its order of first appearance,
/// written in the voucher alphabet so it reads like one.
fn stable_vouchers(text: &str) -> String {
    const KEY: &str = "\"voucher\":\"";
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let is_code = |c: &str| {
        c.len() == 9
            && c.bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 { b == b'-' } else { ALPHABET.contains(&b) })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let start = at + KEY.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let code = rest.get(..9).unwrap_or("");
        if !is_code(code) {
            continue;
        }
        let n = match seen.iter().position(|s| s == code) {
            Some(n) => n,
            None => {
                seen.push(code.to_owned());
                seen.len() - 1
            }
        };
        // A fixed walk through the alphabet: distinct for distinct n, the same on every run.
        let mut x = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut stand_in = String::with_capacity(9);
        for i in 0..8 {
            if i == 4 {
                stand_in.push('-');
            }
            stand_in.push(ALPHABET[(x % 32) as usize] as char);
            x /= 32;
        }
        out.push_str(&stand_in);
        rest = &rest[9..];
    }
    out.push_str(rest);
    out
}

fn local_display() -> String {
    let store = jiayuan_core::Store::open_in_memory().expect("store");
    jiayuan_core::Actor::local_profile(&store).display
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

fn roster(dir: &Path) -> PathBuf {
    let opts = RosterOptions { messy: 0.2, bad: 0.08, ..RosterOptions::default() };
    let (body, _) = realistic_roster(3000, 11, &opts);
    let mut sheet = Sheet::new("花名册").title("南湖区新兴街道居民花名册");
    sheet.rows.extend(body.rows);
    let notes = Sheet::new("填表说明").row(&["请按模板填写，身份证号码请设为文本格式。"]);
    let bytes = to_xlsx(&Workbook::of(vec![sheet, notes]));
    let path = dir.join("居民名单.xlsx");
    std::fs::write(&path, bytes).expect("write roster");
    path
}

fn record(dir: &Path) -> Value {
    let clock: Arc<dyn jiayuan_core::Clock> = Arc::new(ManualClock::fixed());
    let keychain = Arc::new(jiayuan_core::store::keying::MemoryKeychain::default());
    let desk = Desk::with_keychain(dir.join("data"), clock, keychain);
    let mut r = Recorder::default();

    r.rec("app_info_first_start", "app_info", json!({}), desk.open_last());
    r.rec("open_demo", "open_store", json!({ "kind": "demo" }), desk.open_store(StoreKind::Demo));
    r.rec("app_info_demo", "app_info", json!({}), desk.info());
    // Nobody logged in and the key in the keychain: nothing to check, the app does not lock.
    r.rec("lock_state", "lock_state", json!({}), desk.lock_state());
    // The main store is fresh (first start): Settings offers restoring a backup into it.
    r.rec("restore_state", "restore_state", json!({}), desk.restore_state());
    let facets = r.rec("facets", "resident_facets", json!({}), desk.resident_facets());
    let mut first = None;
    for offset in [0, 100, 200] {
        let q = query("", None, offset);
        let page = r.rec(
            &format!("page_{offset}"),
            "residents_page",
            json!({ "query": q }),
            desk.residents_page(&q),
        );
        first = first.or_else(|| page.rows.first().cloned());
    }
    let first = first.expect("the demo district has residents");
    let community = facets.communities.first().map(|c| c.name.clone()).expect("a community");
    let q = query("", Some(&community), 0);
    r.rec("page_community", "residents_page", json!({ "query": q }), desk.residents_page(&q));
    let q = query(&first.name, None, 0);
    let found = r.rec("search", "residents_page", json!({ "query": q }), desk.residents_page(&q));
    assert!(found.rows.iter().any(|row| row.id == first.id), "a name search finds the person");
    let q = query("查无此人甲乙", None, 0);
    let none =
        r.rec("search_none", "residents_page", json!({ "query": q }), desk.residents_page(&q));
    assert_eq!(none.total, 0);
    let id = first.id.clone();
    r.rec("detail", "resident_detail", json!({ "id": id }), desk.resident_detail(&id));
    r.rec(
        "reveal_phone",
        "resident_reveal",
        json!({ "id": id, "field": "phone" }),
        desk.resident_reveal(&id, RevealField::Phone),
    );
    let edit = ResidentEdit {
        notes: Some("独居，每周二上门探访".into()),
        ..ResidentEdit::default()
    };
    r.rec(
        "update",
        "resident_update",
        json!({ "id": id, "edit": edit }),
        desk.resident_update(&id, edit.clone()),
    );
    let q = query("", Some(&community), 0);
    r.rec(
        "print_calls",
        "print_list",
        json!({ "query": q, "kind": "calls" }),
        desk.print_list(&q, PrintKind::Calls),
    );

    // Requests, on the demo district's month of requests.
    record_requests(&desk, &mut r, &first);

    // The import wizard, on the main store.
    r.rec("open_main", "open_store", json!({ "kind": "main" }), desk.open_store(StoreKind::Main));
    let file = roster(dir);
    let path = file.display().to_string();
    r.dialog("pick_roster", "roster", &path);
    let preview =
        r.rec("preview", "import_preview", json!({ "path": path }), desk.import_preview(&file));
    let sheet =
        preview.sheets.iter().find(|s| s.header_row.is_some()).expect("a sheet with a header");
    let columns: Vec<(String, String)> =
        sheet.columns.iter().map(|c| (c.header.clone(), c.field.clone())).collect();
    r.rec("mappings", "mappings_list", json!({}), desk.mappings());
    let mut changed = columns.clone();
    if let Some(c) = changed.iter_mut().find(|(_, f)| f == "notes") {
        c.1 = "attribute".into();
    }
    let saved = SavedMapping { name: "街道花名册".into(), columns: changed };
    r.rec(
        "mapping_save",
        "mapping_save",
        json!({ "mapping": saved }),
        desk.save_mapping(saved.clone()),
    );
    let mut request = ImportRequest {
        path: path.clone(),
        sheet: Some(sheet.name.clone()),
        columns: Some(columns),
        dry_run: true,
        lang: "zh-CN".into(),
    };
    let dry = r.rec(
        "dry_run",
        "import_run",
        json!({ "request": request }),
        desk.import_run(&request, &mut |_| {}),
    );
    assert!(!dry.rejected.is_empty(), "the fixture roster has rejected rows to show");
    request.dry_run = false;
    let cancelled = desk.import_run(&request, &mut |_| {
        desk.import_cancel();
    });
    match cancelled {
        Err(e @ CoreError::Cancelled) => {
            r.rec_err("run_cancelled", "import_run", json!({ "request": request }), e)
        }
        other => panic!("a cancelled import reports cancelled, got {other:?}"),
    }
    let mut events = Vec::new();
    let report = r.rec(
        "run",
        "import_run",
        json!({ "request": request }),
        desk.import_run(&request, &mut |e| events.push(e)),
    );
    assert!(report.created > 0);
    r.events.insert("run".into(), serde_json::to_value(&events).expect("events"));
    let out = dir.join("问题行.xlsx").display().to_string();
    r.dialog("pick_rejected", "rejected", &out);
    r.rec(
        "rejected_export",
        "rejected_export",
        json!({ "source": path, "report": report, "path": out }),
        desk.rejected_export(&file, &report, Path::new(&out)),
    );
    let template = dir.join("居民名单模板.xlsx").display().to_string();
    r.dialog("pick_template", "template", &template);
    r.rec(
        "template_save",
        "template_save",
        json!({ "path": template }),
        Desk::template_save(Path::new(&template)),
    );
    let history = r.rec("history", "import_history", json!({}), desk.import_history());
    let batch = history.first().map(|b| b.id.clone()).expect("a batch");
    r.rec("undo", "import_undo", json!({ "batch_id": batch }), desk.import_undo(&batch));

    record_sync(&mut r, dir);
    record_sync_dispatch(&mut r);
    record_unlock(&mut r, dir);
    record_backup(&mut r, dir);

    let mut calls = std::mem::take(&mut r.calls);
    // Reports carry how long they took; a recording keeps none of that.
    for c in &mut calls {
        if let Some(s) = c.pointer_mut("/ok/seconds") {
            *s = json!(0.0);
        }
        if let Some(s) = c.pointer_mut("/args/report/seconds") {
            *s = json!(0.0);
        }
    }
    json!({ "calls": calls, "events": r.events })
}

/// The queue, a request's page, intake with triage, each kind of step and merging.
/// A computer with no keychain: the first start sets the store's passphrase, the next one asks
/// for it (a wrong one told, the right one opens).
fn record_unlock(r: &mut Recorder, dir: &Path) {
    use jiayuan_core::store::keying::MemoryKeychain;
    let clock: Arc<dyn jiayuan_core::Clock> = Arc::new(ManualClock::fixed());
    let data = dir.join("no-keychain");
    let right = "家园桌面 口令 2026";
    let first = Desk::with_keychain(data.clone(), clock.clone(), Arc::new(MemoryKeychain::none()));
    let locked = first.open_last().expect_err("no key yet");
    assert_eq!(locked.code(), "store_needs_passphrase");
    r.rec_err("app_info_locked_first", "app_info", json!({}), locked);
    r.rec(
        "store_unlock_first",
        "store_unlock",
        json!({ "passphrase": right }),
        first.unlock(right),
    );
    drop(first);
    let again = Desk::with_keychain(data, clock, Arc::new(MemoryKeychain::none()));
    let locked = again.open_last().expect_err("asks again");
    assert_eq!(locked.code(), "store_locked");
    r.rec_err("app_info_locked", "app_info", json!({}), locked);
    let wrong = "不对的口令 0000";
    let e = again.unlock(wrong).expect_err("wrong");
    r.rec_err("store_unlock_wrong", "store_unlock", json!({ "passphrase": wrong }), e);
    r.rec("store_unlock", "store_unlock", json!({ "passphrase": right }), again.unlock(right));

    // The app lock of that store, opened with its passphrase (nobody has logged in).
    r.rec("lock_state_passphrase", "lock_state", json!({}), again.lock_state());
    r.rec("lock_now", "lock_now", json!({}), again.lock_now());
    let e = again.lock_open(wrong).expect_err("wrong");
    r.rec_err("lock_open_wrong", "lock_open", json!({ "password": wrong }), e);
    r.rec("lock_open", "lock_open", json!({ "password": right }), again.lock_open(right));
    r.rec("lock_idle_set", "lock_idle_set", json!({ "minutes": 2 }), again.set_lock_idle(2));
}

/// Settings › Backup and moving, on two laptops of their own: the old one with a request taken
/// in, backed up (a weak passphrase refused first); the new one, fresh, refusing a wrong
/// passphrase, then restoring, after which it offers no restore.
fn record_backup(r: &mut Recorder, dir: &Path) {
    use jiayuan_core::store::keying::MemoryKeychain;
    let clock: Arc<dyn jiayuan_core::Clock> = Arc::new(ManualClock::fixed());
    let laptop = |name: &str| {
        let d =
            Desk::with_keychain(dir.join(name), clock.clone(), Arc::new(MemoryKeychain::default()));
        d.open_last().expect("a fresh store");
        d
    };
    let old = laptop("old-laptop");
    let input = NewRequest {
        new_person: Some(NewPerson {
            name: "赵敏".into(),
            phone: Some("13800001234".into()),
            ..NewPerson::default()
        }),
        category: "supplies".into(),
        description: "封控期间需要代买米面".into(),
        ..NewRequest::default()
    };
    old.request_create(input).expect("a request");
    let file = dir.join("嘉园备份.jybackup").display().to_string();
    let pass = "搬家用的口令 2026";
    r.dialog("pick_backup", "backup", &file);
    let weak = old.backup_save(Path::new(&file), "123").expect_err("weak");
    r.rec_err(
        "backup_save_weak",
        "backup_save",
        json!({ "path": file, "passphrase": "123" }),
        weak,
    );
    r.rec(
        "backup_save",
        "backup_save",
        json!({ "path": file, "passphrase": pass }),
        old.backup_save(Path::new(&file), pass),
    );
    let new = laptop("new-laptop");
    r.dialog("pick_restore", "restore", &file);
    let wrong = "不是这个口令 0000";
    let e = new.restore_from(Path::new(&file), wrong).expect_err("wrong");
    r.rec_err("restore_wrong", "restore_from", json!({ "path": file, "passphrase": wrong }), e);
    r.rec(
        "restore_from",
        "restore_from",
        json!({ "path": file, "passphrase": pass }),
        new.restore_from(Path::new(&file), pass),
    );
    r.rec("restore_state_work", "restore_state", json!({}), new.restore_state());
}

fn record_requests(desk: &Desk, r: &mut Recorder, resident: &ResidentRow) {
    r.rec("categories", "request_categories", json!({}), desk.request_categories());
    let areas = r.rec("areas", "areas", json!({}), desk.areas());
    r.rec("mode", "district_mode", json!({}), desk.district_mode());
    r.rec("requests_report", "requests_report", json!({}), desk.requests_report());
    let mut rule = r.rec("retention", "retention", json!({}), desk.retention());
    rule.request_days = Some(180);
    r.rec(
        "retention_set",
        "retention_set",
        json!({ "rule": rule }),
        desk.retention_set(rule.clone()),
    );
    let queue = r.queue(desk, "queue");
    assert!(queue.items.len() > 10, "the demo month leaves open work");
    let overdue = QueueFilter { overdue: true, ..QueueFilter::default() };
    let late = r.rec(
        "queue_overdue",
        "requests_queue",
        json!({ "filter": overdue, "offset": 0, "limit": 100 }),
        desk.requests_queue(&overdue, 0, 100),
    );
    assert!(
        !late.items.is_empty() && late.items.iter().all(|i| i.left_secs.is_some_and(|l| l < 0))
    );
    let top = queue.items[0].id.clone();
    r.detail(desk, "queue_detail", &top);
    r.dispatch_panel(desk, &top);
    let fresh = queue.items.iter().find(|i| i.status == Status::New).map(|i| i.id.clone());
    if let Some(id) = fresh {
        let step = Step::Accept;
        r.rec(
            "key_accept",
            "request_step",
            json!({ "ids": [id], "step": step }),
            desk.request_step_many(std::slice::from_ref(&id), &step),
        );
        r.queue(desk, "queue_after_key_accept");
    }

    // Intake: a resident in distress, found by search; triage proposes urgent.
    let search = query(&resident.name, None, 0);
    let search = ResidentQuery { limit: 8, ..search };
    r.rec(
        "intake_search",
        "residents_page",
        json!({ "query": search }),
        desk.residents_page(&search),
    );
    let preview = PreviewRequest {
        resident_id: Some(resident.id.clone()),
        category: "medicine".into(),
        description: "我父亲胸口痛，喘不上气".into(),
        lang: "zh-CN".into(),
    };
    let proposed = r.rec(
        "intake_preview",
        "request_preview",
        json!({ "preview": preview }),
        desk.request_preview(&preview),
    );
    assert_eq!(proposed.priority, Priority::Urgent);
    let input = NewRequest {
        resident_id: Some(resident.id.clone()),
        category: "medicine".into(),
        description: "我父亲胸口痛，喘不上气".into(),
        channel: Some(Channel::Phone),
        ..NewRequest::default()
    };
    let made = r.rec(
        "intake_create",
        "request_create",
        json!({ "request": input }),
        desk.request_create(input.clone()),
    );
    let id = made.id.clone();
    r.queue(desk, "queue_after_create");
    r.detail(desk, "detail_created", &id);
    let ids = [id.clone()];
    let step = |r: &mut Recorder, name: &str, s: Step| {
        r.rec(
            name,
            "request_step",
            json!({ "ids": ids, "step": s }),
            desk.request_step_many(&ids, &s),
        );
        r.detail(desk, &format!("detail_after_{name}"), &ids[0]);
    };
    r.dispatch_panel(desk, &id);
    step(r, "accept", Step::Accept);
    step(r, "pause", Step::Pause { reason: "等待家属回电".into() });
    step(r, "resume", Step::Resume);
    let other = areas
        .iter()
        .find(|a| a.level == "grid" && Some(a.name.as_str()) != resident.grid.as_deref())
        .map(|a| a.id.clone())
        .expect("another grid");
    step(r, "transfer", Step::Transfer { area_id: other, reason: "地址属于相邻网格".into() });
    step(r, "accept_again", Step::Accept);
    step(r, "return", Step::Return { reason: "该楼栋不在本网格".into() });
    // A second call about the same thing, merged into the first.
    let again =
        NewRequest { description: "父亲胸口痛，能不能派车".into(), ..input.clone() };
    let dup = r.rec(
        "intake_dup",
        "request_create",
        json!({ "request": again }),
        desk.request_create(again.clone()),
    );
    assert_eq!(dup.duplicates, vec![id.clone()], "flagged as a likely duplicate");
    r.queue(desk, "queue_after_dup");
    r.detail(desk, "detail_dup", &dup.id);
    r.dispatch_panel(desk, &dup.id);
    r.rec(
        "merge",
        "request_merge",
        json!({ "duplicate": dup.id, "keep": id }),
        desk.request_merge(&dup.id, &id),
    );
    r.queue(desk, "queue_after_merge");
    r.detail(desk, "detail_after_merge", &id);
    let search = QueueFilter { text: Some("胸口痛".into()), ..QueueFilter::default() };
    let found = r.rec(
        "queue_search",
        "requests_queue",
        json!({ "filter": search, "offset": 0, "limit": 100 }),
        desk.requests_queue(&search, 0, 100),
    );
    assert!(found.items.iter().any(|i| i.id == id), "the search finds the request taken in");
    let made = r.rec("checkins", "checkins_generate", json!({}), desk.checkins_generate());
    assert!(made.created > 0, "the weekly visits of disabled residents");
    r.queue(desk, "queue_after_checkins");
    // Intake with a file kept beside the request.
    let photo = "/fixtures/处方.jpg".to_owned();
    r.dialog("pick_attachment", "attachment", &photo);
    let attached = NewRequest { attachments: vec![photo], ..input.clone() };
    let made = r.rec(
        "intake_create_attached",
        "request_create",
        json!({ "request": attached }),
        desk.request_create(attached.clone()),
    );
    r.detail(desk, "detail_attached", &made.id);
    r.dispatch_panel(desk, &made.id);
    // Someone not on the roster, added with the request.
    let preview = PreviewRequest {
        resident_id: None,
        category: "medicine".into(),
        description: "降压药吃完了，儿女在外地".into(),
        lang: "zh-CN".into(),
    };
    r.rec(
        "preview_new_person",
        "request_preview",
        json!({ "preview": preview }),
        desk.request_preview(&preview),
    );
    let walk_in = NewRequest {
        resident_id: None,
        new_person: Some(NewPerson {
            name: "马大爷".into(),
            phone: Some("13912345678".into()),
            id_number: None,
            address: Some("5幢1单元402".into()),
        }),
        category: "medicine".into(),
        description: "降压药吃完了，儿女在外地".into(),
        channel: Some(Channel::Phone),
        ..NewRequest::default()
    };
    let made = r.rec(
        "intake_new_person",
        "request_create",
        json!({ "request": walk_in }),
        desk.request_create(walk_in.clone()),
    );
    r.detail(desk, "detail_new_person", &made.id);
    r.dispatch_panel(desk, &made.id);

    record_volunteers(desk, r);
}

const SERVER: &str = "https://sync.nanhu.example.cn";

/// The district's sync server and the clocks of two laptops on it: ours (liwei, a grid
/// official) and a colleague's (zhangmin, a community official).
struct District {
    server: MemServer,
    clock: Arc<ManualClock>,
    theirs_clock: Arc<ManualClock>,
}

impl District {
    fn new() -> District {
        let clock = Arc::new(ManualClock::fixed());
        let theirs_clock = Arc::new(ManualClock::fixed());
        let mut server = MemServer::new("南湖区", clock.now().timestamp_millis());
        server.add_user("liwei", Role::GridOfficial, None);
        server.add_user("zhangmin", Role::CommunityOfficial, None);
        District { server, clock, theirs_clock }
    }

    /// The server's clock keeps up with the laptops' (it clamps stamps ahead of its own time).
    fn tick(&self) {
        let now = self.clock.now().max(self.theirs_clock.now());
        self.server.now_ms.set(now.timestamp_millis());
    }

    /// The colleague's laptop syncs, `ms` later on its clock.
    fn their_sync(&self, theirs: &Desk, ms: i64) {
        self.theirs_clock.advance_ms(ms);
        self.tick();
        theirs.sync_now(&self.server, &mut |_| {}).expect("their sync");
    }

    /// Our laptop syncs, `ms` later on its clock.
    fn our_sync(&self, ours: &Desk, ms: i64) -> SyncReport {
        self.clock.advance_ms(ms);
        self.tick();
        ours.sync_now(&self.server, &mut |_| {}).expect("our sync")
    }
}

fn page_of(desk: &Desk) -> Vec<ResidentRow> {
    desk.residents_page(&query("", None, 0)).expect("residents").rows
}

/// Sync as the official meets it, on this desk ("liwei"), with a colleague's laptop
/// ("zhangmin") working on the same district: logged out, a wrong password, the login, the
/// first sync of the district with its progress, work waiting while the server is out of
/// reach, then both laptops' offline edits meeting: a phone each changed (the colleague's
/// later one wins), notes each changed (ours wins), and an assignment ours made to a request the
/// colleague had closed meanwhile (the server refuses it). Then each conflict settled.
fn record_sync(r: &mut Recorder, dir: &Path) {
    let district = District::new();
    let (server, clock, theirs_clock) = (&district.server, &district.clock, &district.theirs_clock);
    let login = |user: &str, password: &str| json!({ "server_url": SERVER, "username": user, "password": password });

    // The colleague's laptop holds the district's roster and has sent it to the server: large
    // enough that a first sync pulls it in several pages.
    let theirs = Desk::in_memory(theirs_clock.clone()).expect("their desk");
    theirs.sync_login(server, SERVER, "zhangmin", "zhangmin", "社区服务中心").expect("their login");
    let opts = RosterOptions { messy: 0.1, bad: 0.0, ..RosterOptions::default() };
    let (body, _) = realistic_roster(6000, 23, &opts);
    let mut sheet = Sheet::new("花名册");
    sheet.rows.extend(body.rows);
    let file = dir.join("全区花名册.xlsx");
    std::fs::write(&file, to_xlsx(&Workbook::of(vec![sheet]))).expect("write roster");
    let import = ImportRequest {
        path: file.display().to_string(),
        sheet: None,
        columns: None,
        dry_run: false,
        lang: "zh-CN".into(),
    };
    let report = theirs.import_run(&import, &mut |_| {}).expect("their import");
    assert!(report.created > 5000, "enough rows for more than one page");
    district.tick();
    theirs.sync_now(server, &mut |_| {}).expect("their first push");

    // This laptop: never logged in, then a wrong password, then the login.
    let desk = Desk::in_memory(clock.clone()).expect("desk");
    r.rec("sync_status_logged_out", "sync_status", json!({}), desk.sync_status());
    r.rec("sync_conflicts_none", "sync_conflicts", json!({}), desk.sync_conflicts());
    let wrong = desk
        .sync_login(server, SERVER, "liwei", "liwei123", "网格工作站")
        .expect_err("a wrong password is refused");
    r.rec_err("sync_login_refused", "sync_login", login("liwei", "liwei123"), wrong);
    server.online.set(false);
    let offline = desk
        .sync_login(server, SERVER, "liwei", "liwei", "网格工作站")
        .expect_err("no server, no login");
    r.rec_err("sync_login_offline", "sync_login", login("liwei", "liwei"), offline);
    server.online.set(true);
    r.rec(
        "sync_login",
        "sync_login",
        login("liwei", "liwei"),
        desk.sync_login(server, SERVER, "liwei", "liwei", "网格工作站"),
    );

    // The first sync: the shell sends each step as a `sync-progress` event.
    clock.advance_ms(20_000);
    district.tick();
    let mut progress = Vec::new();
    let first = r.rec(
        "sync_now_first",
        "sync_now",
        json!({}),
        desk.sync_now(server, &mut |p| progress.push(p)),
    );
    assert!(first.pulled > 5000 && progress.len() > 1, "a first sync in pages: {progress:?}");
    r.events.insert("sync_now_first".into(), serde_json::to_value(&progress).expect("events"));
    r.rec("sync_status_synced", "sync_status", json!({}), desk.sync_status());

    // A resident's phone and notes, a request both laptops know.
    let rows = page_of(&desk);
    let (x, y) = (rows[0].id.clone(), rows[1].id.clone());
    let made = theirs
        .request_create(NewRequest {
            resident_id: Some(y.clone()),
            category: "medicine".into(),
            description: "降压药快吃完了，需要代购".into(),
            channel: Some(Channel::Phone),
            ..NewRequest::default()
        })
        .expect("their request");
    let ask = [made.id.clone()];
    theirs.request_step_many(&ask, &Step::Accept).expect("accept");
    district.their_sync(&theirs, 60_000);
    district.our_sync(&desk, 120_000);

    // Offline, both work on the same records. Ours edits first; theirs changes the phone later
    // (so theirs wins it) and the notes earlier (so ours wins them), and closes the request.
    server.online.set(false);
    clock.advance_ms(25 * 60_000);
    theirs_clock.advance_ms(20 * 60_000);
    let notes = |text: &str| ResidentEdit { notes: Some(text.into()), ..ResidentEdit::default() };
    theirs.resident_update(&x, notes("子女在外地，邻居代为照看")).expect("their notes");
    desk.resident_update(
        &x,
        ResidentEdit { phone: Some("13912345678".into()), ..ResidentEdit::default() },
    )
    .expect("our phone");
    desk.resident_update(&x, notes("独居，每周二上门探访")).expect("our notes");
    desk.request_step_many(&ask, &Step::Assign { assignee: "志愿者 小刘".into() })
        .expect("our assign");
    theirs_clock.advance_ms(15 * 60_000);
    theirs
        .resident_update(
            &x,
            ResidentEdit { phone: Some("13733334444".into()), ..ResidentEdit::default() },
        )
        .expect("their phone");
    for step in [
        Step::Start,
        Step::Resolve { note: "药已送到".into() },
        Step::Close { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() },
    ] {
        theirs.request_step_many(&ask, &step).expect("their step");
    }
    clock.advance_ms(10 * 60_000);
    let out = desk.sync_now(server, &mut |_| {}).expect_err("the server is out of reach");
    r.rec_err("sync_now_offline", "sync_now", json!({}), out);
    r.rec("sync_status_offline", "sync_status", json!({}), desk.sync_status());

    // The network is back: theirs syncs first, then ours meets both conflicts and the refusal.
    server.online.set(true);
    district.their_sync(&theirs, 30 * 60_000);
    clock.advance_ms(30 * 60_000);
    district.tick();
    let mut progress = Vec::new();
    let report =
        r.rec("sync_now", "sync_now", json!({}), desk.sync_now(server, &mut |p| progress.push(p)));
    assert_eq!(report.rejected, 1, "the assignment of a closed request is refused");
    r.events.insert("sync_now".into(), serde_json::to_value(&progress).expect("events"));
    r.rec("sync_status_conflicts", "sync_status", json!({}), desk.sync_status());
    r.rec("app_info_synced", "app_info", json!({}), desk.info());
    let all = r.rec("sync_conflicts", "sync_conflicts", json!({}), desk.sync_conflicts());
    let phone = all.conflicts.iter().find(|c| c.field == "phone").expect("the phone conflict");
    let kept = all.conflicts.iter().find(|c| c.field == "notes").expect("the notes conflict");
    assert!(phone.mine && phone.can_reapply && !kept.mine, "{all:?}");
    assert_eq!(all.rejections.len(), 1);
    let (phone, kept, refused) =
        (phone.id.clone(), kept.id.clone(), all.rejections[0].op_id.clone());

    // Settled one by one, as the page does: the kept notes dismissed, the phone applied again,
    // the refusal dismissed.
    r.rec("sync_dismiss_conflict", "sync_dismiss", json!({ "id": kept }), desk.sync_dismiss(&kept));
    r.rec("sync_reapply", "sync_reapply", json!({ "id": phone }), desk.sync_reapply(&phone));
    r.rec(
        "sync_dismiss_refusal",
        "sync_dismiss",
        json!({ "id": refused }),
        desk.sync_dismiss(&refused),
    );
    r.rec("sync_status_settled", "sync_status", json!({}), desk.sync_status());

    // Seeing a number in full and printing a call list are recorded and synced. The district's
    // access report lists them per place: the colleague (a community official) reads it; ours,
    // a grid official, may not.
    let shown = page_of(&desk);
    desk.resident_reveal(&shown[2].id, RevealField::Phone).expect("reveal a phone");
    let one = shown.iter().find(|row| row.id_number.is_some()).expect("a resident with a number");
    desk.resident_reveal(&one.id, RevealField::IdNumber).expect("reveal a number");
    let community = ResidentQuery { community: shown[2].community.clone(), ..Default::default() };
    desk.print_list(&community, PrintKind::Calls).expect("print a call list");
    district.our_sync(&desk, 60_000);
    let now = clock.now().timestamp_millis();
    let (from, to) = (now - 30 * 86_400_000, now + 1);
    let period = json!({ "from_ms": from, "to_ms": to });
    r.rec("access_report", "access_report", period.clone(), theirs.access_report(server, from, to));
    let refused = desk.access_report(server, from, to).expect_err("a grid official may not");
    r.rec_err("access_report_forbidden", "access_report", period, refused);
    r.rec("sync_logout", "sync_logout", json!({}), desk.sync_logout());
}

/// The recording with one line per call and per event: a third of the size of pretty JSON
/// (long lists of volunteers), and a change still shows as the calls it touched.
fn one_line_each(recorded: &Value) -> String {
    let mut out = String::from("{\n");
    let parts: Vec<String> = recorded
        .as_object()
        .expect("calls and events")
        .iter()
        .map(|(key, value)| {
            let key = serde_json::to_string(key).expect("key");
            let line = |v: &Value| serde_json::to_string(v).expect("json");
            match value {
                Value::Array(items) => {
                    let items: Vec<String> = items.iter().map(line).collect();
                    format!("{key}: [\n{}\n]", items.join(",\n"))
                }
                Value::Object(map) => {
                    let items: Vec<String> = map
                        .iter()
                        .map(|(k, v)| format!("{}: {}", line(&json!(k)), line(v)))
                        .collect();
                    format!("{key}: {{\n{}\n}}", items.join(",\n"))
                }
                other => format!("{key}: {}", line(other)),
            }
        })
        .collect();
    out.push_str(&parts.join(",\n"));
    out.push_str("\n}\n");
    out
}

#[test]
fn ui_fixtures_match_what_the_backend_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recorded = record(dir.path());
    let text = one_line_each(&recorded);
    let text = stabilise(&text, dir.path());
    let path = committed();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("fixtures dir");
        std::fs::write(&path, &text).expect("write fixtures");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == text,
        "ui/tests/fixtures/ipc.json no longer matches the backend's replies; run \
         `UPDATE_FIXTURES=1 cargo test -p jiayuan-core --test ipc_fixtures` and commit it"
    );
}

/// Volunteers on the demo district's month of history: the list and its filters, a
/// volunteer's page with the availability typed and understood (or not), dispatch from a
/// request's page (a volunteer sent, a no-show sending the request back to the queue, another
/// sent, done and confirmed with points), a ranking gone stale (the volunteer was sent
/// elsewhere meanwhile: over capacity, refused), redemption with its voucher, a correction,
/// the leaderboard, the whole ledger, the at-risk report with a release, and the settings.
fn record_volunteers(desk: &Desk, r: &mut Recorder) {
    let everyone = VolunteerFilter::default();
    let list = |r: &mut Recorder, name: &str| {
        r.rec(
            name,
            "volunteers_list",
            json!({ "filter": everyone }),
            desk.volunteers_list(&everyone),
        )
    };
    let refdata = r.rec("vol_refdata", "volunteer_refdata", json!({}), desk.volunteer_refdata());
    // One volunteer has stopped helping: listed only with the inactive ones.
    let retired =
        desk.volunteers_list(&everyone).expect("volunteers").last().expect("one").id.clone();
    let patch = VolunteerPatch { active: Some(false), ..VolunteerPatch::default() };
    desk.volunteer_update(&retired, patch).expect("marked inactive");
    let volunteers = list(r, "volunteers");
    assert!(volunteers.len() > 20, "the demo has volunteers");
    let first = volunteers[0].id.clone();
    r.volunteer(desk, "vol_detail_first", &first);
    let skill = VolunteerFilter { skill: Some("driving".into()), ..VolunteerFilter::default() };
    let drivers = r.rec(
        "volunteers_skill",
        "volunteers_list",
        json!({ "filter": skill }),
        desk.volunteers_list(&skill),
    );
    assert!(!drivers.is_empty() && drivers.len() < volunteers.len());
    let inactive = VolunteerFilter { inactive: true, ..VolunteerFilter::default() };
    let with_inactive = r.rec(
        "volunteers_inactive",
        "volunteers_list",
        json!({ "filter": inactive }),
        desk.volunteers_list(&inactive),
    );
    assert_eq!(with_inactive.len(), volunteers.len() + 1);
    let text = VolunteerFilter { text: volunteers[3].name.clone(), ..VolunteerFilter::default() };
    let found = r.rec(
        "volunteers_search",
        "volunteers_list",
        json!({ "filter": text }),
        desk.volunteers_list(&text),
    );
    assert!(found.iter().any(|v| v.id == volunteers[3].id));
    let queue = r.queue(desk, "queue_vol");

    // Open requests a volunteer can be sent to: accepted or new, nobody on them, a category
    // that asks for skills.
    let services = refdata.services.clone();
    let open: Vec<_> = queue
        .items
        .iter()
        .filter(|i| matches!(i.status, Status::Accepted | Status::New))
        .filter(|i| services.iter().any(|s| s.category == i.category && !s.skills.is_empty()))
        .filter(|i| {
            !desk
                .request_dispatch(&i.id)
                .expect("dispatch")
                .assignments
                .iter()
                .any(|a| a.status.is_active())
        })
        .map(|i| i.id.clone())
        .collect();
    assert!(open.len() >= 4, "open requests to dispatch: {}", open.len());
    let eligible = |s: &jiayuan_core::volunteers::dispatch::Suggestions| {
        s.volunteers
            .iter()
            .filter(|v| v.rank.eligible)
            .map(|v| v.rank.id.clone())
            .collect::<Vec<_>>()
    };

    // The request sent a volunteer: its page, the ranking, key 1.
    let req = open[0].clone();
    r.vol_request_page(desk, "", &req);
    let sq = suggest_query(&req);
    let ranked = r.suggest(desk, "vol_suggest", &sq);
    assert!(ranked.volunteers.len() == 20 && ranked.considered > 20, "the best 20 of many");
    let sent = eligible(&ranked)[0].clone();
    let made = r.assign(desk, "vol_assign", &sending(&req, &sent));
    r.queue(desk, "queue_after_vol_assign");
    let d = r.vol_request_page(desk, "_assigned", &req);
    assert_eq!(d.status, Status::Assigned);

    // They do not turn up: the request goes back to the queue, their record shows it.
    let a = made.id.clone();
    r.record_move(desk, "vol_no_show", &a, Move::NoShow, None);
    r.queue(desk, "queue_after_vol_no_show");
    let d = r.vol_request_page(desk, "_no_show", &req);
    assert_eq!(d.status, Status::Accepted, "back to the queue");
    let again = r.suggest(desk, "vol_suggest_again", &sq);
    let after = list(r, "volunteers_after_no_show");
    let missed = after.iter().find(|v| v.id == sent).expect("the volunteer");
    assert!(missed.track.last_no_show && missed.track.no_show >= 1);

    // Another is sent, does it, and the official confirms: points earned.
    // The one who did not turn up may still rank first; the official sends someone else.
    let second = eligible(&again).into_iter().find(|v| v != &sent).expect("someone else");
    let made = r.assign(desk, "vol_assign_again", &sending(&req, &second));
    r.queue(desk, "queue_after_vol_assign_again");
    r.vol_request_page(desk, "_assigned_again", &req);
    let a = made.id.clone();
    r.record_move(desk, "vol_done", &a, Move::Done, None);
    r.queue(desk, "queue_after_vol_done");
    let d = r.vol_request_page(desk, "_done", &req);
    assert_eq!(d.status, Status::Resolved);
    let confirmed =
        r.rec("vol_confirm", "assignment_confirm", json!({ "id": a }), desk.assignment_confirm(&a));
    assert!(confirmed.points > 0, "points earned");
    r.vol_request_page(desk, "_confirmed", &req);

    // A ranking made before another official sent the same volunteer elsewhere: over capacity.
    let full = open[1].clone();
    r.detail(desk, "vol_full_detail", &full);
    r.dispatch(desk, "vol_full_dispatch", &full);
    let fq = suggest_query(&full);
    let ranked = r.suggest(desk, "vol_full_suggest", &fq);
    let busy = ranked.volunteers.iter().find(|v| v.rank.eligible).expect("an eligible volunteer");
    for other in open[2..].iter().take((busy.capacity - busy.load) as usize) {
        desk.dispatch_assign(sending(other, &busy.rank.id)).expect("sent elsewhere");
    }
    let input = sending(&full, &busy.rank.id);
    let refused = desk.dispatch_assign(input.clone()).expect_err("over capacity");
    r.rec_err("vol_assign_full", "dispatch_assign", json!({ "input": input }), refused);

    // Redemption at a partner shop, and a correction, on the richest volunteer.
    let volunteers = desk.volunteers_list(&everyone).expect("volunteers");
    let rich =
        volunteers.iter().max_by_key(|v| (v.balance, v.id.clone())).expect("someone").clone();
    assert!(rich.balance >= 10, "a balance to spend");
    r.volunteer(desk, "vol_detail", &rich.id);
    let shop = refdata.shops.iter().find(|s| s.active).expect("a partner shop").clone();
    let redeemed = r.rec(
        "vol_redeem",
        "points_redeem",
        json!({ "volunteer_id": rich.id, "shop_id": shop.id, "amount": 5, "note": "兑换大米一袋" }),
        desk.points_redeem(&rich.id, &shop.id, 5, "兑换大米一袋"),
    );
    assert!(redeemed.voucher.is_some() && redeemed.balance == rich.balance - 5);
    r.volunteer(desk, "vol_detail_after_redeem", &rich.id);
    list(r, "volunteers_after_redeem");
    r.rec(
        "vol_correct",
        "points_correct",
        json!({ "volunteer_id": rich.id, "amount": 3, "reason": "3 月 1 日送药漏记" }),
        desk.points_correct(&rich.id, 3, "3 月 1 日送药漏记"),
    );
    r.volunteer(desk, "vol_detail_after_correct", &rich.id);
    let over =
        desk.points_redeem(&rich.id, &shop.id, 100_000, "").expect_err("more than the balance");
    r.rec_err(
        "vol_redeem_too_much",
        "points_redeem",
        json!({ "volunteer_id": rich.id, "shop_id": shop.id, "amount": 100_000, "note": "" }),
        over,
    );

    // The points section: each grid's best of the last 30 days, the whole ledger.
    let leaders = r.rec(
        "leaderboard",
        "points_leaderboard",
        json!({ "days": 30, "top": 5 }),
        desk.points_leaderboard(30, 5),
    );
    assert!(!leaders.is_empty());
    r.rec("ledger_all", "points_ledger", json!({ "volunteer_id": null }), desk.points_ledger(None));

    // At risk: missed last tasks and stale assignments; one released back to the queue.
    let risk = r.rec("at_risk", "volunteers_at_risk", json!({}), desk.volunteers_at_risk());
    assert!(risk.iter().any(|x| x.missed_last), "a missed last task");
    eprintln!(
        "at risk: {} ({} with stale work)",
        risk.len(),
        risk.iter().filter(|x| !x.stale.is_empty()).count()
    );
    if let Some(stale) = risk.iter().find_map(|x| x.stale.first()) {
        let id = stale.id.clone();
        r.record_move(desk, "at_risk_release", &id, Move::Release, Some("联系不上，改派他人"));
        r.rec("at_risk_after_release", "volunteers_at_risk", json!({}), desk.volunteers_at_risk());
    }

    // The volunteer form: weekly hours typed and understood, or not; a new volunteer; an edit.
    let typed = "周一至周五 18:00-21:00；周六 全天";
    let slots = r.rec(
        "avail_ok",
        "availability_parse",
        json!({ "text": typed }),
        Desk::availability_parse(typed),
    );
    let wrong = "周八 9点";
    let e = Desk::availability_parse(wrong).expect_err("not a day");
    r.rec_err("avail_err", "availability_parse", json!({ "text": wrong }), e);
    let areas = desk.areas().expect("areas");
    let grid = areas.iter().find(|a| a.level == "grid").expect("a grid").id.clone();
    let draft = VolunteerDraft {
        resident_id: None,
        name: "赵雪梅".into(),
        phone: Some("13812345678".into()),
        id_number: None,
        area_id: Some(grid),
        skills: vec!["delivery".into(), "elderly_care".into()],
        availability: Availability { slots: slots.clone(), exceptions: vec![] },
        capacity: 2,
        health: Some(Health::Well),
        vehicle: Some("电动车".into()),
        notes: None,
    };
    let made = r.rec(
        "vol_create",
        "volunteer_create",
        json!({ "draft": draft }),
        desk.volunteer_create(draft.clone()),
    );
    r.volunteer(desk, "vol_detail_created", &made.id);
    list(r, "volunteers_after_create");
    let patch = VolunteerPatch {
        availability: Some(Availability { slots, exceptions: first_exceptions(desk, &rich.id) }),
        capacity: Some(rich.capacity % 20 + 1),
        ..VolunteerPatch::default()
    };
    r.rec(
        "vol_update",
        "volunteer_update",
        json!({ "id": rich.id, "patch": patch }),
        desk.volunteer_update(&rich.id, patch.clone()),
    );
    r.volunteer(desk, "vol_detail_after_update", &rich.id);

    // The district's settings: the cap and staleness, a skill, a shop, a category's service.
    let settings = VolunteerSettings { points_daily_cap: 30, stale_minutes: 90 };
    r.rec(
        "vol_settings_set",
        "volunteer_settings_set",
        json!({ "settings": settings }),
        desk.volunteer_settings_set(settings),
    );
    let skill = Skill {
        key: "sign_language".into(),
        label_zh: "手语".into(),
        label_en: "Sign language".into(),
        active: true,
    };
    r.rec("skill_set", "skill_set", json!({ "skill": skill }), desk.skill_set(skill.clone()));
    let shop = Shop {
        id: String::new(),
        name: "康乐药房".into(),
        address: "人民路 66 号".into(),
        active: true,
    };
    r.rec("shop_add", "shop_set", json!({ "shop": shop }), desk.shop_set(shop.clone()));
    let mut closed = refdata.shops[0].clone();
    closed.active = false;
    r.rec("shop_deactivate", "shop_set", json!({ "shop": closed }), desk.shop_set(closed.clone()));
    let mut service: CategoryService =
        refdata.services.iter().find(|s| s.category == "medicine").expect("medicine").clone();
    service.points = 10;
    service.task_minutes = 120;
    r.rec(
        "service_set",
        "category_service_set",
        json!({ "service": service }),
        desk.category_service_set(service.clone()),
    );
    r.rec("vol_refdata_after", "volunteer_refdata", json!({}), desk.volunteer_refdata());
}

/// The exceptions a volunteer has (the form keeps them when only the weekly hours change).
fn first_exceptions(
    desk: &Desk,
    id: &str,
) -> Vec<jiayuan_core::volunteers::availability::Exception> {
    desk.volunteer_detail(id).expect("volunteer").volunteer.availability.exceptions
}

/// Dispatch on two laptops that sync: ours sends a volunteer while offline (the panel marks it
/// pending until the server has said), while a colleague's laptop, also offline, sent the same
/// volunteer (who takes one task at a time) elsewhere and synced first. The server refuses
/// ours; the request's panel shows the refusal with its reason.
fn record_sync_dispatch(r: &mut Recorder) {
    let district = District::new();
    let (server, clock, theirs_clock) = (&district.server, &district.clock, &district.theirs_clock);
    let ours = Desk::in_memory(clock.clone()).expect("our desk");
    let theirs = Desk::in_memory(theirs_clock.clone()).expect("their desk");
    ours.sync_login(server, SERVER, "liwei", "liwei", "网格工作站").expect("our login");
    theirs.sync_login(server, SERVER, "zhangmin", "zhangmin", "社区服务中心").expect("their login");
    let volunteer = theirs
        .volunteer_create(VolunteerDraft {
            name: "周海燕".into(),
            phone: Some("13955556666".into()),
            skills: vec!["delivery".into()],
            capacity: 1,
            ..VolunteerDraft::default()
        })
        .expect("volunteer");
    theirs
        .volunteer_create(VolunteerDraft {
            name: "孙国庆".into(),
            phone: Some("13977778888".into()),
            skills: vec!["delivery".into(), "driving".into()],
            capacity: 2,
            health: Some(Health::Quarantined),
            ..VolunteerDraft::default()
        })
        .expect("a quarantined volunteer");
    let request = |text: &str| {
        let made = theirs
            .request_create(NewRequest {
                category: "supplies".into(),
                description: text.into(),
                channel: Some(Channel::Phone),
                ..NewRequest::default()
            })
            .expect("request");
        theirs.request_step_many(std::slice::from_ref(&made.id), &Step::Accept).expect("accept");
        made.id
    };
    let (theirs_req, ours_req) =
        (request("独居老人家中缺米缺油，需代购"), request("家中断药两天，需代购降压药"));
    district.their_sync(&theirs, 60_000);
    district.our_sync(&ours, 120_000);

    server.online.set(false);
    clock.advance_ms(10 * 60_000);
    theirs_clock.advance_ms(5 * 60_000);
    let send = |desk: &Desk, req: &str| {
        desk.dispatch_assign(sending(req, &volunteer.id)).expect("sent while offline")
    };
    send(&theirs, &theirs_req);
    // Nobody left to send from their laptop: the one volunteer is busy, the other quarantined.
    let q = suggest_query(&ours_req);
    let busy = r.suggest(&theirs, "suggest_nobody", &q);
    assert!(busy.volunteers.iter().all(|v| !v.rank.eligible), "{busy:?}");
    let mine = send(&ours, &ours_req);
    assert!(mine.pending, "not yet confirmed by the server");
    r.dispatch(&ours, "dispatch_pending", &ours_req);

    server.online.set(true);
    district.their_sync(&theirs, 20 * 60_000);
    let report = district.our_sync(&ours, 20 * 60_000);
    assert_eq!(report.rejected, 1, "the volunteer was already booked");
    let d = r.dispatch(&ours, "dispatch_refused", &ours_req);
    assert_eq!(d.refusals.len(), 1, "{d:?}");
}
