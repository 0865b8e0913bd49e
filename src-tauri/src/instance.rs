//! One instance per data folder. A second launch on a folder already open hands over to the
//! first window (which comes to the front) and exits; a launch on another folder
//! (`JIAYUAN_DATA_DIR`, as tests and a second district use) runs beside it.
//!
//! tauri-plugin-single-instance finds the first instance by a D-Bus name on Linux, a named
//! mutex on Windows and a socket on macOS, all derived from an identifier: the app's own for
//! the default folder, the app's followed by a hash of the folder for any other. On Linux the
//! plugin takes that name directly (`dbus_id`); on Windows and macOS the app's identifier is
//! changed for a non-default folder, which is harmless because everything the app keeps lives
//! in the data folder (window state, webview data), not in folders named after the identifier.

use std::path::Path;

use jiayuan_core::store::APP_IDENTIFIER;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Context, Wry};

/// The identifier a data folder's instance is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The app's identifier for the per-user folder; for a folder named by `JIAYUAN_DATA_DIR`,
    /// the identifier and a stable hash of the folder's canonical path.
    pub fn for_folder(data_dir: &Path) -> Key {
        if std::env::var_os("JIAYUAN_DATA_DIR").is_none_or(|d| d.is_empty()) {
            return Key(APP_IDENTIFIER.to_owned());
        }
        // The folder may not exist yet (first start); the store creates it just after.
        let _ = std::fs::create_dir_all(data_dir);
        let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        Key(format!("{APP_IDENTIFIER}.f{:016x}", fnv1a(path.to_string_lossy().as_bytes())))
    }

    /// Makes the app's identifier this key where the plugin reads it from the configuration.
    pub fn apply(&self, context: &mut Context<Wry>) {
        if cfg!(not(target_os = "linux")) && self.0 != APP_IDENTIFIER {
            context.config_mut().identifier.clone_from(&self.0);
        }
    }

    /// The single-instance plugin keyed on this folder; `focus` runs in the first instance when
    /// a second one starts.
    pub fn plugin(&self, focus: impl Fn(&AppHandle) + Send + Sync + 'static) -> TauriPlugin<Wry> {
        let builder = tauri_plugin_single_instance::Builder::new()
            .callback(move |app, _args, _cwd| focus(app));
        #[cfg(target_os = "linux")]
        let builder = builder.dbus_id(self.0.clone());
        builder.build()
    }
}

/// FNV-1a, 64 bits: stable across builds and Rust versions (the std hasher is not promised
/// to be), so every build of the app agrees on a folder's key.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_key_is_a_valid_dbus_name_element() {
        // D-Bus name elements must not begin with a digit: the `f` prefix sees to it.
        let key = format!("{APP_IDENTIFIER}.f{:016x}", fnv1a(b"/tmp/x"));
        assert!(key
            .split('.')
            .all(|e| !e.is_empty() && !e.starts_with(|c: char| c.is_ascii_digit())));
    }
}
