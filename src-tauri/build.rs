//! Tauri's build step: reads `tauri.conf.json` at the repository root, checks the icons and
//! the capabilities, and prepares what `generate_context!` embeds.

fn main() {
    tauri_build::build()
}
