//! Records the replies the UI's browser tests mock, from the real desk API on a real store:
//! a demo district, a roster with rejected rows imported through the wizard's calls. The UI
//! tests replay `ui/tests/fixtures/ipc.json`, so their mocks cannot drift from the backend:
//! this test fails when the recorded file differs from what the code answers now. Sync is
//! recorded from two in-memory desks logged in to an in-memory server: a first sync with its
//! progress, an offline attempt, a conflict each way and a refusal.
//! `UPDATE_FIXTURES=1 cargo test -p jiayuan-core --test ipc_fixtures` rewrites it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiayuan_core::desk::work::PreviewRequest;
use jiayuan_core::desk::*;
use jiayuan_core::requests::queue::QueueFilter;
use jiayuan_core::requests::{
    Channel, NewPerson, NewRequest, Priority, Satisfaction, Status, Step,
};
use jiayuan_core::sync::memhub::MemServer;
use jiayuan_core::sync::Role;
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

    /// A reply of the shell itself (a file dialog's answer), not of core.
    fn dialog(&mut self, name: &str, purpose: &str, path: &str) {
        self.calls.push(json!({
            "name": name, "cmd": "pick_file", "args": { "purpose": purpose }, "ok": path
        }));
    }
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
/// (the same id always by the same one), so the recording is the same on every run.
fn stabilise(text: &str, dir: &Path) -> String {
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
    let desk = Desk::new(dir.join("data"), clock);
    let mut r = Recorder::default();

    r.rec("app_info_first_start", "app_info", json!({}), desk.open_last());
    r.rec("open_demo", "open_store", json!({ "kind": "demo" }), desk.open_store(StoreKind::Demo));
    r.rec("app_info_demo", "app_info", json!({}), desk.info());
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
fn record_requests(desk: &Desk, r: &mut Recorder, resident: &ResidentRow) {
    let all = QueueFilter::default();
    let q =
        |offset: u32| json!({ "filter": QueueFilter::default(), "offset": offset, "limit": 100 });
    r.rec("categories", "request_categories", json!({}), desk.request_categories());
    let areas = r.rec("areas", "areas", json!({}), desk.areas());
    r.rec("mode", "district_mode", json!({}), desk.district_mode());
    let queue = r.rec("queue", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
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
    r.rec("queue_detail", "request_detail", json!({ "id": top }), desk.request_detail(&top));
    let fresh = queue.items.iter().find(|i| i.status == Status::New).map(|i| i.id.clone());
    if let Some(id) = fresh {
        let step = Step::Accept;
        r.rec(
            "key_accept",
            "request_step",
            json!({ "ids": [id], "step": step }),
            desk.request_step_many(std::slice::from_ref(&id), &step),
        );
        r.rec("queue_after_key_accept", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
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
    r.rec("queue_after_create", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
    r.rec("detail_created", "request_detail", json!({ "id": id }), desk.request_detail(&id));
    let ids = [id.clone()];
    let step = |r: &mut Recorder, name: &str, s: Step| {
        r.rec(
            name,
            "request_step",
            json!({ "ids": ids, "step": s }),
            desk.request_step_many(&ids, &s),
        );
        r.rec(
            &format!("detail_after_{name}"),
            "request_detail",
            json!({ "id": ids[0] }),
            desk.request_detail(&ids[0]),
        );
    };
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
    r.rec("queue_after_dup", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
    r.rec("detail_dup", "request_detail", json!({ "id": dup.id }), desk.request_detail(&dup.id));
    r.rec(
        "merge",
        "request_merge",
        json!({ "duplicate": dup.id, "keep": id }),
        desk.request_merge(&dup.id, &id),
    );
    r.rec("queue_after_merge", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
    r.rec("detail_after_merge", "request_detail", json!({ "id": id }), desk.request_detail(&id));
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
    r.rec("queue_after_checkins", "requests_queue", q(0), desk.requests_queue(&all, 0, 100));
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
    r.rec(
        "detail_attached",
        "request_detail",
        json!({ "id": made.id }),
        desk.request_detail(&made.id),
    );
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
    r.rec(
        "detail_new_person",
        "request_detail",
        json!({ "id": made.id }),
        desk.request_detail(&made.id),
    );
}

const SERVER: &str = "https://sync.nanhu.example.cn";

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
    let clock = Arc::new(ManualClock::fixed());
    let theirs_clock = Arc::new(ManualClock::fixed());
    let mut server = MemServer::new("南湖区", clock.now().timestamp_millis());
    server.add_user("liwei", Role::GridOfficial, None);
    server.add_user("zhangmin", Role::CommunityOfficial, None);
    let server = server;
    // The server's clock keeps up with the laptops' (it clamps stamps ahead of its own time).
    let tick = || {
        let now = clock.now().max(theirs_clock.now());
        server.now_ms.set(now.timestamp_millis());
    };
    let login = |user: &str, password: &str| json!({ "server_url": SERVER, "username": user, "password": password });

    // The colleague's laptop holds the district's roster and has sent it to the server: large
    // enough that a first sync pulls it in several pages.
    let theirs = Desk::in_memory(theirs_clock.clone()).expect("their desk");
    theirs
        .sync_login(&server, SERVER, "zhangmin", "zhangmin", "社区服务中心")
        .expect("their login");
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
    tick();
    theirs.sync_now(&server, &mut |_| {}).expect("their first push");

    // This laptop: never logged in, then a wrong password, then the login.
    let desk = Desk::in_memory(clock.clone()).expect("desk");
    r.rec("sync_status_logged_out", "sync_status", json!({}), desk.sync_status());
    r.rec("sync_conflicts_none", "sync_conflicts", json!({}), desk.sync_conflicts());
    let wrong = desk
        .sync_login(&server, SERVER, "liwei", "liwei123", "网格工作站")
        .expect_err("a wrong password is refused");
    r.rec_err("sync_login_refused", "sync_login", login("liwei", "liwei123"), wrong);
    server.online.set(false);
    let offline = desk
        .sync_login(&server, SERVER, "liwei", "liwei", "网格工作站")
        .expect_err("no server, no login");
    r.rec_err("sync_login_offline", "sync_login", login("liwei", "liwei"), offline);
    server.online.set(true);
    r.rec(
        "sync_login",
        "sync_login",
        login("liwei", "liwei"),
        desk.sync_login(&server, SERVER, "liwei", "liwei", "网格工作站"),
    );

    // The first sync: the shell sends each step as a `sync-progress` event.
    clock.advance_ms(20_000);
    tick();
    let mut progress = Vec::new();
    let first = r.rec(
        "sync_now_first",
        "sync_now",
        json!({}),
        desk.sync_now(&server, &mut |p| progress.push(p)),
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
    theirs_clock.advance_ms(60_000);
    tick();
    theirs.sync_now(&server, &mut |_| {}).expect("their sync");
    clock.advance_ms(120_000);
    tick();
    desk.sync_now(&server, &mut |_| {}).expect("our sync");

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
    let out = desk.sync_now(&server, &mut |_| {}).expect_err("the server is out of reach");
    r.rec_err("sync_now_offline", "sync_now", json!({}), out);
    r.rec("sync_status_offline", "sync_status", json!({}), desk.sync_status());

    // The network is back: theirs syncs first, then ours meets both conflicts and the refusal.
    server.online.set(true);
    theirs_clock.advance_ms(30 * 60_000);
    tick();
    theirs.sync_now(&server, &mut |_| {}).expect("their sync");
    clock.advance_ms(30 * 60_000);
    tick();
    let mut progress = Vec::new();
    let report =
        r.rec("sync_now", "sync_now", json!({}), desk.sync_now(&server, &mut |p| progress.push(p)));
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
    r.rec("sync_logout", "sync_logout", json!({}), desk.sync_logout());
}

#[test]
fn ui_fixtures_match_what_the_backend_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recorded = record(dir.path());
    let text = serde_json::to_string_pretty(&recorded).expect("json") + "\n";
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
