//! The desk API on the in-memory twin and on files: what the app's commands do, without Tauri.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::fixed())
}

fn demo_desk(n: usize) -> Desk {
    let desk = Desk::in_memory(clock()).expect("desk");
    let today = desk.clock.now().date_naive();
    desk.write(|ctx| crate::residents::create_many(ctx, crate::demo::people(3, n, today), "t"))
        .expect("demo people");
    desk
}

fn q(text: &str, offset: u32, limit: u32) -> ResidentQuery {
    ResidentQuery { text: text.into(), offset, limit, ..ResidentQuery::default() }
}

fn audit_actions(desk: &Desk) -> Vec<String> {
    desk.read(|store, _| {
        let mut stmt = store.conn().prepare("SELECT action FROM audit_log ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
    .expect("audit")
}

#[test]
fn an_empty_main_store_is_a_first_start() {
    let desk = Desk::in_memory(clock()).expect("desk");
    let info = desk.info().expect("info");
    assert!(info.first_start);
    assert_eq!(info.residents, 0);
}

#[test]
fn windows_tile_the_whole_list_without_gaps_or_repeats() {
    let desk = demo_desk(730);
    let mut seen = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let page = desk.residents_page(&q("", offset, 100)).expect("page");
        assert_eq!(page.total, 730);
        if page.rows.is_empty() {
            break;
        }
        for r in &page.rows {
            assert!(seen.insert(r.id.clone()), "{} listed twice", r.id);
        }
        offset += 100;
    }
    assert_eq!(seen.len(), 730);
}

#[test]
fn lists_mask_identity_numbers_and_phones() {
    let desk = demo_desk(50);
    let page = desk.residents_page(&q("", 0, 50)).expect("page");
    for r in &page.rows {
        if let Some(id) = &r.id_number {
            assert!(id.contains('*'), "masked id number: {id}");
        }
        if let Some(p) = &r.phone {
            assert!(p.contains('*'), "masked phone: {p}");
        }
    }
}

#[test]
fn filters_narrow_the_list_and_an_unknown_tag_selects_nobody() {
    let desk = demo_desk(2000);
    let facets = desk.resident_facets().expect("facets");
    let c = &facets.communities[0];
    let by_community = ResidentQuery { community: Some(c.name.clone()), ..q("", 0, 500) };
    let page = desk.residents_page(&by_community).expect("community");
    assert!(page.total > 0 && page.total < 2000);
    assert!(page.rows.iter().all(|r| r.community.as_deref() == Some(c.name.as_str())));
    let grid = ResidentQuery { grid: Some(c.grids[0].clone()), ..by_community.clone() };
    let in_grid = desk.residents_page(&grid).expect("grid");
    assert!(in_grid.total <= page.total);
    assert!(in_grid.rows.iter().all(|r| r.grid.as_deref() == Some(c.grids[0].as_str())));
    let tag = facets.tags.iter().find(|t| t.residents > 0).expect("a used tag");
    let tagged = desk
        .residents_page(&ResidentQuery { tag: Some(tag.key.clone()), ..q("", 0, 500) })
        .expect("tag");
    assert_eq!(tagged.total, tag.residents);
    assert!(tagged.rows.iter().all(|r| r.tags.contains(&tag.key)));
    let nobody = ResidentQuery { tag: Some("no such tag".into()), ..q("", 0, 100) };
    assert_eq!(desk.residents_page(&nobody).expect("unknown").total, 0);
}

#[test]
fn a_search_pages_through_its_hits_and_respects_filters() {
    let desk = demo_desk(1500);
    let first = desk.residents_page(&q("", 0, 1)).expect("page").rows.remove(0);
    let surname: String = first.name.chars().take(1).collect();
    let all = desk.residents_page(&q(&surname, 0, 500)).expect("search");
    assert!(all.rows.iter().all(|r| r.name.contains(&surname)));
    let second = desk.residents_page(&q(&surname, 5, 5)).expect("second window");
    assert_eq!(second.rows, all.rows[5..10].to_vec(), "windows of one search are stable");
    let community = first.community.clone().expect("community");
    let narrowed = desk
        .residents_page(&ResidentQuery {
            community: Some(community.clone()),
            ..q(&surname, 0, 500)
        })
        .expect("narrowed");
    assert!(narrowed.total <= all.total);
    assert!(narrowed.rows.iter().all(|r| r.community.as_deref() == Some(community.as_str())));
}

#[test]
fn revealing_a_phone_is_audited_and_shows_in_the_history() {
    let desk = demo_desk(20);
    let row = desk.residents_page(&q("", 0, 1)).expect("page").rows.remove(0);
    let phone = desk.resident_reveal(&row.id, RevealField::Phone).expect("reveal");
    assert!(!phone.contains('*') && phone.len() >= 7, "in full: {phone}");
    assert_eq!(audit_actions(&desk).last().map(String::as_str), Some("resident.reveal"));
    let detail = desk.resident_detail(&row.id).expect("detail");
    let last = detail.history.last().expect("history");
    assert_eq!(last.action, "resident.reveal");
    assert_eq!(last.changes[0].field, "phone");
    assert!(detail.resident.phone.expect("phone").contains('*'), "the panel stays masked");
}

#[test]
fn an_edit_goes_through_the_write_path_and_replaces_the_tag_list() {
    let desk = demo_desk(20);
    let row = desk.residents_page(&q("", 0, 1)).expect("page").rows.remove(0);
    let edit = ResidentEdit {
        notes: Some("每周二上门".into()),
        tags: Some(vec!["独居老人".into(), "新标签".into()]),
        ..ResidentEdit::default()
    };
    let detail = desk.resident_update(&row.id, edit).expect("update");
    assert_eq!(detail.resident.notes.as_deref(), Some("每周二上门"));
    assert!(
        detail.resident.tags.contains(&"elderly_alone".to_owned()),
        "{:?}",
        detail.resident.tags
    );
    assert_eq!(detail.resident.tags.len(), 2);
    let only = ResidentEdit {
        tags: Some(vec!["新标签".into()]),
        notes: Some(String::new()),
        ..Default::default()
    };
    let detail = desk.resident_update(&row.id, only).expect("update");
    assert_eq!(detail.resident.tags.len(), 1);
    assert_eq!(detail.resident.notes, None, "an empty string clears a field");
    let changes: Vec<&FieldChange> = detail.history.iter().flat_map(|h| &h.changes).collect();
    assert!(changes.iter().any(|c| c.field == "notes" && c.after.as_deref() == Some("每周二上门")));
    let bad = ResidentEdit { phone: Some("12".into()), ..ResidentEdit::default() };
    let err = desk.resident_update(&row.id, bad).expect_err("a bad phone is refused");
    assert_eq!(ApiError::from(err).code, "invalid");
}

#[test]
fn a_printed_list_is_audited_like_an_export() {
    let desk = demo_desk(60);
    let list = desk.print_list(&q("", 0, 100), PrintKind::Calls).expect("print");
    assert_eq!(list.rows.len(), 60);
    assert!(!list.truncated);
    assert!(list.rows.iter().filter_map(|r| r.phone.as_ref()).all(|p| !p.contains('*')));
    assert_eq!(audit_actions(&desk).last().map(String::as_str), Some("export.print"));
}

#[test]
fn cancel_is_false_when_nothing_runs() {
    let desk = Desk::in_memory(clock()).expect("desk");
    assert!(!desk.import_cancel());
}

#[test]
fn mappings_are_saved_by_name_and_bad_fields_are_refused() {
    let desk = Desk::in_memory(clock()).expect("desk");
    let m = SavedMapping {
        name: "街道表".into(),
        columns: vec![("姓名".into(), "name".into()), ("住址".into(), "address".into())],
    };
    let all = desk.save_mapping(m).expect("save");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "街道表");
    let bad = SavedMapping { name: "x".into(), columns: vec![("姓名".into(), "nmae".into())] };
    let err = desk.save_mapping(bad).expect_err("unknown field");
    assert!(err.to_string().contains("nmae"), "{err}");
    let unnamed = SavedMapping { name: " ".into(), columns: vec![] };
    assert!(desk.save_mapping(unnamed).is_err());
}

#[test]
fn an_address_or_a_phone_is_found_as_people_type_it() {
    let desk = demo_desk(300);
    let row = desk.residents_page(&q("", 0, 1)).expect("page").rows.remove(0);
    let detail = desk.resident_detail(&row.id).expect("detail").resident;
    let (b, u, r) = (detail.building.expect("b"), detail.unit.expect("u"), detail.room.expect("r"));
    for typed in [format!("{b}{u}{r}"), format!("{b}-{u}-{r}"), format!("{b} {u} {r}")] {
        let hits = desk.residents_page(&q(&typed, 0, 100)).expect("search").rows;
        assert!(hits.iter().any(|h| h.id == row.id), "{typed} finds the flat");
    }
    let phone = desk.resident_reveal(&row.id, RevealField::Phone).expect("phone");
    if phone.len() == 11 {
        let spaced = format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]);
        let hits = desk.residents_page(&q(&spaced, 0, 100)).expect("search").rows;
        assert!(hits.iter().any(|h| h.id == row.id), "{spaced} finds the person");
    }
}

#[test]
fn community_facets_count_their_residents() {
    let desk = demo_desk(900);
    let facets = desk.resident_facets().expect("facets");
    let sum: u64 = facets.communities.iter().map(|c| c.residents).sum();
    assert_eq!(sum, 900, "every demo resident lives in a community");
    let c = &facets.communities[0];
    let listed = desk
        .residents_page(&ResidentQuery { community: Some(c.name.clone()), ..q("", 0, 1) })
        .expect("page");
    assert_eq!(listed.total, c.residents);
}
