//! The main window: built from its configuration (`"create": false` in `tauri.conf.json`) with
//! the webview's own data (storage, caches) in the data folder, so two folders never share UI
//! settings, and its size and place remembered in the data folder (`window-state.json`).
//!
//! tauri-plugin-window-state restores them when the window opens and saves them when the app
//! exits; here they are also saved half a second after the window stops moving or resizing,
//! so a session ended by a signal or a crash still remembers them.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{App, Runtime, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// The main window's label (`tauri.conf.json`).
pub const MAIN: &str = "main";

/// The window state plugin, keeping its file in the data folder.
pub fn state_plugin<R: Runtime>(data_dir: &Path) -> tauri::plugin::TauriPlugin<R> {
    // An absolute file name: the plugin joins it to its own folder, which leaves it as is.
    tauri_plugin_window_state::Builder::default()
        .with_filename(data_dir.join("window-state.json").to_string_lossy())
        .build()
}

pub fn open<R: Runtime>(app: &App<R>, data_dir: &Path) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or(tauri::Error::WindowNotFound)?;
    let window = WebviewWindowBuilder::from_config(app.handle(), &config)?
        .data_directory(data_dir.join("webview"))
        .build()?;
    let handle = app.handle().clone();
    let moves = Arc::new(AtomicU64::new(0));
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            let this = moves.fetch_add(1, Ordering::SeqCst) + 1;
            let (moves, handle) = (Arc::clone(&moves), handle.clone());
            tauri::async_runtime::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(500));
                if moves.load(Ordering::SeqCst) == this {
                    if let Err(e) = handle.save_window_state(StateFlags::all()) {
                        tracing::warn!(error = %e, "could not save the window's size and place");
                    }
                }
            });
        }
    });
    Ok(())
}
