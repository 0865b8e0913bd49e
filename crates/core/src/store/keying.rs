//! The key a data folder's stores are encrypted with (SQLCipher), and where it is kept.
//!
//! A folder's stores share one 256-bit key. Where the system has a keychain (Windows
//! Credential Manager, macOS Keychain, Secret Service on Linux) the key is random and lives
//! there; where it has none, the key is derived from a passphrase (argon2id over a salt kept
//! beside the stores) that the app asks for, or that scripts give in `JIAYUAN_PASSPHRASE`.
//! `keying.json` in the folder says which, and holds nothing secret: the salt, and a check
//! value that tells a wrong passphrase from a damaged store before any store is touched.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{CoreError, Result};

/// The variable scripts and the command line give a passphrase in.
pub const PASSPHRASE_ENV: &str = "JIAYUAN_PASSPHRASE";
/// The keychain's service name (the app's identifier).
pub const SERVICE: &str = super::APP_IDENTIFIER;
const KEYING_FILE: &str = "keying.json";
/// The shortest passphrase accepted when one is set.
pub const MIN_PASSPHRASE: usize = 8;

/// A store key. Never logged: its `Debug` shows nothing, and its bytes are wiped when dropped.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    pub fn random() -> StoreKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut *k);
        StoreKey(k)
    }

    fn from_hex(text: &str) -> Option<StoreKey> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).ok()?);
        let mut k = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return None;
        }
        k.copy_from_slice(&bytes);
        Some(StoreKey(k))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.0))
    }

    /// argon2id (64 MiB, 3 passes): about a second to try one passphrase, once per start.
    pub fn from_passphrase(passphrase: &str, salt: &[u8]) -> Result<StoreKey> {
        let params = argon2::Params::new(64 * 1024, 3, 1, Some(32))
            .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut k = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, &mut *k)
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))?;
        Ok(StoreKey(k))
    }

    /// Keys a connection just opened on an encrypted file, before anything reads it: for
    /// readers outside [`super::Store`] (read-only checks in tests and tools).
    pub fn apply(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        // SQLCipher writes its own errors to stderr (a wrong key, page by page); ours say it
        // once, in words an official can act on.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", self.sql_literal().as_str()))
    }

    /// The SQLCipher raw-key literal (no key derivation on each connection).
    pub(crate) fn sql_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.to_hex().as_str()))
    }

    /// A value that says whether a passphrase gave this key, without revealing the key.
    fn check(&self) -> String {
        self.check_for(b"jiayuan store key check")
    }

    /// The same for another use of a passphrase (a backup file), under its own label.
    pub(crate) fn check_for(&self, label: &[u8]) -> String {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&*self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(label);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Where keys are kept: the system's keychain, or a stand-in in tests.
pub trait Keychain: Send + Sync {
    /// `Ok(None)`: the keychain works and holds nothing for `account`.
    fn get(&self, account: &str) -> std::result::Result<Option<String>, String>;
    fn set(&self, account: &str, secret: &str) -> std::result::Result<(), String>;
    fn delete(&self, account: &str) -> std::result::Result<(), String>;
}

/// The operating system's keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

impl Keychain for OsKeychain {
    fn get(&self, account: &str) -> std::result::Result<Option<String>, String> {
        let entry = keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn set(&self, account: &str, secret: &str) -> std::result::Result<(), String> {
        let entry = keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())?;
        entry.set_password(secret).map_err(|e| e.to_string())
    }

    fn delete(&self, account: &str) -> std::result::Result<(), String> {
        let entry = keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A keychain in memory (tests, and machines where the caller knows there is none).
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// Behave as a machine without a keychain.
    pub absent: bool,
}

impl MemoryKeychain {
    pub fn none() -> MemoryKeychain {
        MemoryKeychain { absent: true, ..Default::default() }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Keychain for MemoryKeychain {
    fn get(&self, account: &str) -> std::result::Result<Option<String>, String> {
        if self.absent {
            return Err("no keychain on this machine".into());
        }
        Ok(self.entries().get(account).cloned())
    }

    fn set(&self, account: &str, secret: &str) -> std::result::Result<(), String> {
        if self.absent {
            return Err("no keychain on this machine".into());
        }
        self.entries().insert(account.into(), secret.into());
        Ok(())
    }

    fn delete(&self, account: &str) -> std::result::Result<(), String> {
        self.entries().remove(account);
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Keying {
    Keychain { account: String },
    Passphrase { salt: String, check: String },
}

/// What opening a folder's stores needs.
#[derive(Debug)]
pub enum Unlock {
    Key(StoreKey),
    /// No keychain here: the official gives the passphrase (`first`: sets one, twice).
    NeedsPassphrase {
        first: bool,
    },
}

fn keying_path(dir: &Path) -> PathBuf {
    dir.join(KEYING_FILE)
}

fn account_of(dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    format!("store-key:{}", dir.display())
}

fn read_keying(dir: &Path) -> Result<Option<Keying>> {
    match std::fs::read_to_string(keying_path(dir)) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| CoreError::StoreOpen {
            path: keying_path(dir).display().to_string(),
            reason: format!("the store's key description is damaged ({e})"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn write_keying(dir: &Path, keying: &Keying) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{KEYING_FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(keying)?)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, keying_path(dir))?;
    Ok(())
}

/// The key of the stores in `dir`, or what is needed to get it. The first time, the key is
/// made: random in the keychain where there is one, else from `passphrase` (if given).
pub fn unlock(dir: &Path, keychain: &dyn Keychain, passphrase: Option<&str>) -> Result<Unlock> {
    match read_keying(dir)? {
        Some(Keying::Keychain { account }) => match keychain.get(&account) {
            Ok(Some(hex)) => StoreKey::from_hex(&hex).map(Unlock::Key).ok_or_else(|| {
                CoreError::KeyMissing("the key in the system keychain is damaged".into())
            }),
            Ok(None) => Err(CoreError::KeyMissing(
                "the system keychain no longer holds this computer's store key".into(),
            )),
            Err(e) => {
                Err(CoreError::KeyMissing(format!("the system keychain cannot be read ({e})")))
            }
        },
        Some(Keying::Passphrase { salt, check }) => {
            let Some(passphrase) = passphrase else {
                return Ok(Unlock::NeedsPassphrase { first: false });
            };
            let key = from_salt(dir, &salt, passphrase)?;
            if key.check() != check {
                return Err(CoreError::WrongPassphrase);
            }
            Ok(Unlock::Key(key))
        }
        // A passphrase given for a new folder (scripts, `JIAYUAN_PASSPHRASE`) keys it: whoever
        // gave it can open the folder again anywhere, keychain or not.
        None if passphrase.is_some() => {
            set_passphrase(dir, passphrase.unwrap_or_default()).map(Unlock::Key)
        }
        None => {
            let key = StoreKey::random();
            let account = account_of(dir);
            let kept = keychain.set(&account, &key.to_hex()).and_then(|()| keychain.get(&account));
            match kept {
                Ok(Some(back)) if back == *key.to_hex() => {
                    write_keying(dir, &Keying::Keychain { account })?;
                    tracing::info!("store key made and kept in the system keychain");
                    Ok(Unlock::Key(key))
                }
                other => {
                    if let Err(e) = other {
                        tracing::info!(error = %e, "no system keychain: the stores need a passphrase");
                    }
                    Ok(Unlock::NeedsPassphrase { first: true })
                }
            }
        }
    }
}

/// The key a passphrase gives with the folder's salt (hex, from `keying.json`).
fn from_salt(dir: &Path, salt: &str, passphrase: &str) -> Result<StoreKey> {
    let salt = hex::decode(salt).map_err(|_| CoreError::StoreOpen {
        path: keying_path(dir).display().to_string(),
        reason: "the store's key description is damaged (salt)".into(),
    })?;
    StoreKey::from_passphrase(passphrase, &salt)
}

/// The key of the stores in `dir` where nobody can be asked (the command line, scripts): the
/// keychain, else the passphrase given (`JIAYUAN_PASSPHRASE`).
pub fn key_without_asking(dir: &Path, passphrase: Option<&str>) -> Result<StoreKey> {
    match unlock(dir, &OsKeychain, passphrase)? {
        Unlock::Key(k) => Ok(k),
        Unlock::NeedsPassphrase { first } => Err(CoreError::StoreLocked { first }),
    }
}

/// Forgets the folder's key (keychain entry and `keying.json`): after a wipe, whatever is left
/// of the stores' pages on the disk cannot be read.
pub fn forget(dir: &Path, keychain: &dyn Keychain) -> Result<()> {
    if let Some(Keying::Keychain { account }) = read_keying(dir)? {
        if let Err(e) = keychain.delete(&account) {
            tracing::warn!(error = %e, "the store key could not be removed from the keychain");
        }
    }
    match std::fs::remove_file(keying_path(dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Whether the folder's stores are keyed by a passphrase (not the keychain).
pub fn uses_passphrase(dir: &Path) -> Result<bool> {
    Ok(matches!(read_keying(dir)?, Some(Keying::Passphrase { .. })))
}

/// Whether `passphrase` is the one a passphrase-keyed folder was set with; `None` when the
/// folder is keyed by the keychain (no passphrase to check).
pub fn check_passphrase(dir: &Path, passphrase: &str) -> Result<Option<bool>> {
    match read_keying(dir)? {
        Some(Keying::Passphrase { salt, check }) => {
            Ok(Some(from_salt(dir, &salt, passphrase)?.check() == check))
        }
        _ => Ok(None),
    }
}

/// Sets the passphrase of a folder whose stores have no key yet (no keychain here).
pub fn set_passphrase(dir: &Path, passphrase: &str) -> Result<StoreKey> {
    if read_keying(dir)?.is_some() {
        return Err(CoreError::Invalid("this computer's stores already have a key".into()));
    }
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(CoreError::Invalid(format!(
            "the passphrase is too short: use at least {MIN_PASSPHRASE} characters"
        )));
    }
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let key = StoreKey::from_passphrase(passphrase, &salt)?;
    write_keying(dir, &Keying::Passphrase { salt: hex::encode(salt), check: key.check() })?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keychain_keeps_a_random_key_and_gives_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let chain = MemoryKeychain::default();
        let Unlock::Key(a) = unlock(dir.path(), &chain, None).unwrap() else { panic!("key") };
        assert_eq!(chain.entries().len(), 1, "kept in the keychain");
        let Unlock::Key(b) = unlock(dir.path(), &chain, Some("ignored")).unwrap() else {
            panic!("key")
        };
        assert_eq!(a.to_hex(), b.to_hex());
        assert_eq!(format!("{a:?}"), "StoreKey(…)", "never printed");
        let text = std::fs::read_to_string(dir.path().join(KEYING_FILE)).unwrap();
        assert!(!text.contains(a.to_hex().as_str()), "the key is not beside the store");
        let lost = MemoryKeychain::default();
        assert!(matches!(unlock(dir.path(), &lost, None), Err(CoreError::KeyMissing(_))));
    }

    #[test]
    fn without_a_keychain_a_passphrase_makes_the_key_and_a_wrong_one_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let none = MemoryKeychain::none();
        assert!(matches!(
            unlock(dir.path(), &none, None).unwrap(),
            Unlock::NeedsPassphrase { first: true }
        ));
        assert!(matches!(set_passphrase(dir.path(), "short"), Err(CoreError::Invalid(_))));
        let key = set_passphrase(dir.path(), "正确的口令 2026").unwrap();
        assert!(matches!(
            unlock(dir.path(), &none, None).unwrap(),
            Unlock::NeedsPassphrase { first: false }
        ));
        let Unlock::Key(again) = unlock(dir.path(), &none, Some("正确的口令 2026")).unwrap()
        else {
            panic!("key")
        };
        assert_eq!(key.to_hex(), again.to_hex());
        assert!(matches!(
            unlock(dir.path(), &none, Some("错误的口令 2026")),
            Err(CoreError::WrongPassphrase)
        ));
        assert!(set_passphrase(dir.path(), "another passphrase").is_err(), "set once");
    }

    #[test]
    fn the_environment_passphrase_sets_the_key_of_a_new_folder_even_beside_a_keychain() {
        let dir = tempfile::tempdir().unwrap();
        let chain = MemoryKeychain::default();
        let Unlock::Key(_) = unlock(dir.path(), &chain, Some("for scripts 1")).unwrap() else {
            panic!("key")
        };
        assert!(chain.entries().is_empty(), "a script's folder stays out of the keychain");
        let text = std::fs::read_to_string(dir.path().join(KEYING_FILE)).unwrap();
        assert!(text.contains("passphrase") && !text.contains("for scripts"));
        let Unlock::Key(_) =
            unlock(dir.path(), &MemoryKeychain::none(), Some("for scripts 1")).unwrap()
        else {
            panic!("opens anywhere with the passphrase")
        };
    }
}
