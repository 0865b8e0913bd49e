//! A bare Tauri window built like the app (same crates, features and profile) whose page only
//! reports its first paint: the baseline `cargo xtask bench app` compares the app with.
//! `cargo build --example bare --features custom-protocol`.

use std::io::Write;
use std::time::Instant;

struct Started(Instant);

#[tauri::command]
fn first_paint(started: tauri::State<'_, Started>) {
    let ms = started.0.elapsed().as_secs_f64() * 1000.0;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "first_paint_ms={ms:.0}");
    let _ = out.flush();
}

fn main() {
    let started = Started(Instant::now());
    tauri::Builder::default()
        .manage(started)
        .invoke_handler(tauri::generate_handler![first_paint])
        .run(tauri::generate_context!("src-tauri/bench/tauri.conf.json"))
        .expect("the bare window could not start");
}
