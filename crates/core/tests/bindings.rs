//! The TypeScript types the UI uses are generated from the Rust types that cross the IPC
//! boundary. This test regenerates them and fails when the committed files differ, so the UI
//! and the backend cannot drift apart. `UPDATE_BINDINGS=1 cargo test -p jiayuan-core --test
//! bindings` writes them after a deliberate change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiayuan_core::desk::volunteers::{
    DispatchQuery, DispatchRefusal, RequestDispatch, VolunteerDetail, VolunteerRefdata,
};
use jiayuan_core::desk::work::*;
use jiayuan_core::desk::*;
use jiayuan_core::import::{
    BatchSummary, ImportReport, KnownVolunteer, UndoReport, VolunteerImportReport,
};
use jiayuan_core::refusal::Refusal;
use jiayuan_core::requests::checkins::CheckinReport;
use jiayuan_core::requests::commands::Outcome;
use jiayuan_core::requests::queue::{QueueFilter, QueueItem};
use jiayuan_core::requests::read::{RequestDetail, TimelineEntry};
use jiayuan_core::requests::refdata::Category;
use jiayuan_core::requests::retention::{Retention, TallyLine};
use jiayuan_core::requests::{Action, Channel, NewPerson, NewRequest, Satisfaction, Status, Step};
use jiayuan_core::sla::{
    Active, ClockState, ClockStatus, Counting, Escalation, Mode, Priority, SlaState,
};
use jiayuan_core::sync::client::{SyncProgress, SyncReport};
use jiayuan_core::sync::view::{ConflictView, Conflicts, RejectionView, SyncStatus};
use jiayuan_core::volunteers::assignment::{AssignInput, Assignment, AssignmentStatus, Move};
use jiayuan_core::volunteers::availability::{Availability, Exception, Slot};
use jiayuan_core::volunteers::dispatch::{Suggestion, Suggestions};
use jiayuan_core::volunteers::points::{Entry, EntryKind, Leader};
use jiayuan_core::volunteers::rank::{Health, Ranked, Reason, Track};
use jiayuan_core::volunteers::refdata::{CategoryService, Shop, Skill, VolunteerSettings};
use jiayuan_core::volunteers::report::AtRisk;
use jiayuan_core::volunteers::{Volunteer, VolunteerDraft, VolunteerFilter, VolunteerPatch};
use ts_rs::TS;

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/backend/bindings")
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "ts") {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&p).expect("read binding"));
        }
    }
    out
}

fn generate(dir: &Path) {
    macro_rules! export {
        ($($t:ty),* $(,)?) => {{
            let mut names = Vec::new();
            $(
                <$t>::export_all_to(dir).expect(concat!("export ", stringify!($t)));
                names.push(<$t>::name());
            )*
            names
        }};
    }
    let mut names = export!(
        ApiError,
        Refusal,
        jiayuan_core::desk::lock::LockState,
        StoreInfo,
        ResidentQuery,
        ResidentPage,
        Facets,
        ResidentDetail,
        RevealField,
        ResidentEdit,
        PrintKind,
        PrintList,
        ImportPreview,
        ImportRequest,
        ImportEvent,
        SavedMapping,
        FilePurpose,
        BackupSummary,
        RestoreBlock,
        RestoreState,
        RestoreSummary,
        ImportReport,
        BatchSummary,
        UndoReport,
        QueueFilter,
        QueueItem,
        QueuePage,
        RequestDetail,
        TimelineEntry,
        NewRequest,
        NewPerson,
        Step,
        Outcome,
        Category,
        Retention,
        TallyLine,
        PreviewRequest,
        TriagePreview,
        ReasonView,
        BulkOutcome,
        Refused,
        Alert,
        AreaOption,
        Action,
        Channel,
        Satisfaction,
        Status,
        Counting,
        Escalation,
        Mode,
        Priority,
        SlaState,
        CheckinReport,
        ClockState,
        ClockStatus,
        Active,
        SyncStatus,
        SyncReport,
        jiayuan_core::sync::access::AccessReport,
        jiayuan_core::sync::access::AccessPlace,
        jiayuan_core::sync::access::AccessEntry,
        jiayuan_core::sync::access::AccessAction,
        SyncProgress,
        Conflicts,
        ConflictView,
        RejectionView,
        Volunteer,
        VolunteerDraft,
        VolunteerPatch,
        VolunteerFilter,
        VolunteerDetail,
        VolunteerRefdata,
        Availability,
        Slot,
        Exception,
        Health,
        Track,
        Ranked,
        Reason,
        Suggestion,
        Suggestions,
        DispatchQuery,
        RequestDispatch,
        DispatchRefusal,
        Assignment,
        AssignmentStatus,
        AssignInput,
        Move,
        Entry,
        EntryKind,
        Leader,
        AtRisk,
        Skill,
        CategoryService,
        Shop,
        VolunteerSettings,
        VolunteerImportReport,
        KnownVolunteer,
    );
    // One index, so the UI imports every type from one place.
    let mut all: Vec<String> =
        files(dir).keys().map(|f| f.trim_end_matches(".ts").to_owned()).collect();
    all.retain(|n| n != "index");
    all.sort();
    names.sort();
    let index: String =
        all.iter().map(|n| format!("export type {{ {n} }} from \"./{n}\";\n")).collect();
    std::fs::write(
        dir.join("index.ts"),
        format!("// Generated by crates/core/tests/bindings.rs from the Rust types; do not edit.\n{index}"),
    )
    .expect("write index");
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let fresh = tempfile::tempdir().expect("tempdir");
    generate(fresh.path());
    let want = files(fresh.path());
    let dir = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create bindings dir");
        for (name, text) in &want {
            std::fs::write(dir.join(name), text).expect("write binding");
        }
        return;
    }
    let have = files(&dir);
    let stale: Vec<&String> = want.keys().filter(|n| have.get(*n) != want.get(*n)).collect();
    let extra: Vec<&String> = have.keys().filter(|n| !want.contains_key(*n)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "ui/src/lib/backend/bindings is out of date (changed or missing: {stale:?}; no longer \
         generated: {extra:?}); run `UPDATE_BINDINGS=1 cargo test -p jiayuan-core --test bindings` \
         and commit the result"
    );
}
