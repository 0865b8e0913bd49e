//! House rules checked on the source itself (the rust-analyzer way): they are invariants of
//! ARCHITECTURE.md, so breaking one fails the build rather than waiting for a review.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn core_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read source"))
        })
        .collect()
}

#[test]
fn domain_tables_are_written_only_by_the_write_path_modules() {
    let tables = [
        "residents",
        "resident_tags",
        "areas",
        "tags",
        "tag_aliases",
        "batches",
        "residents_fts",
        "volunteers",
        "assignments",
        "points_ledger",
        "request_tallies",
    ];
    let allowed = [
        "residents/writer.rs",
        "residents/tags.rs",
        "residents/bulk.rs",
        "areas.rs",
        "import/run.rs",
        "import/undo.rs",
        "write.rs",
        "volunteers/mod.rs",
        "volunteers/assignment.rs",
        "volunteers/points.rs",
        "import/volunteers.rs",
        // Sync writes what the server decided (pulled rows, echoes of refused ops); it never
        // runs a local command, so nothing it writes needs an outbox op of its own.
        "sync/local/apply.rs",
        "sync/local/tables.rs",
    ];
    let mut offenders = Vec::new();
    for (file, text) in core_sources() {
        if allowed.contains(&file.as_str()) || file.ends_with("tests.rs") {
            continue;
        }
        let upper = text.to_uppercase();
        for t in tables {
            let t = t.to_uppercase();
            for verb in [
                format!("INSERT INTO {t} "),
                format!("INSERT OR IGNORE INTO {t} "),
                format!("UPDATE {t} SET"),
                format!("DELETE FROM {t} "),
            ] {
                if upper.contains(&verb) {
                    offenders.push(format!("{file}: {verb}"));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "domain writes outside the write path: {offenders:?}");
}

#[test]
fn every_module_says_what_it_is_for() {
    let missing: Vec<String> = core_sources()
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(file, _)| file)
        .collect();
    assert!(missing.is_empty(), "modules without a `//!` line: {missing:?}");
}

#[test]
fn no_module_grows_past_the_size_a_reader_can_hold() {
    let big: Vec<String> = core_sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 650)
        .map(|(file, text)| format!("{file}: {} lines", text.lines().count()))
        .collect();
    assert!(big.is_empty(), "split these modules: {big:?}");
}

#[test]
fn the_domain_never_reads_the_wall_clock() {
    let allowed = ["clock.rs", "store/mod.rs"];
    let readers: Vec<String> = core_sources()
        .into_iter()
        .filter(|(file, _)| !allowed.contains(&file.as_str()))
        .filter(|(_, text)| {
            ["Utc::now()", "Local::now()", "SystemTime::now()"].iter().any(|n| text.contains(n))
        })
        .map(|(file, _)| file)
        .collect();
    assert!(readers.is_empty(), "these read the wall clock instead of the Ctx clock: {readers:?}");
}

fn repo_files(dir: &str, exts: &[&str]) -> Vec<(String, String)> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "node_modules" || name == "dist" || name == "bindings" {
                continue;
            }
            if path.is_dir() {
                walk(&path, exts, out);
            } else if path.extension().is_some_and(|e| exts.iter().any(|x| e == *x)) {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let base = root.join(dir);
    assert!(base.is_dir(), "{dir} is missing");
    let mut files = Vec::new();
    walk(&base, exts, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel =
                p.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read"))
        })
        .collect()
}

#[test]
fn only_the_ui_backend_folder_talks_to_tauri() {
    let offenders: Vec<String> = repo_files("ui/src", &["ts", "svelte", "js"])
        .into_iter()
        .filter(|(file, _)| !file.starts_with("ui/src/lib/backend/"))
        .filter(|(_, text)| text.contains("@tauri-apps/"))
        .map(|(file, _)| file)
        .collect();
    assert!(offenders.is_empty(), "import the backend wrappers instead of Tauri: {offenders:?}");
}

#[test]
fn the_shell_holds_no_sql_and_core_no_tauri() {
    let sql: Vec<String> = repo_files("src-tauri", &["rs"])
        .into_iter()
        .filter(|(_, text)| {
            ["rusqlite", "SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM"]
                .iter()
                .any(|w| text.contains(w))
        })
        .map(|(file, _)| file)
        .collect();
    assert!(sql.is_empty(), "SQL belongs in core, not the shell: {sql:?}");
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("core manifest");
    for banned in ["tauri", "axum", "hyper", "reqwest"] {
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with(banned)),
            "core must not depend on {banned}"
        );
    }
}
