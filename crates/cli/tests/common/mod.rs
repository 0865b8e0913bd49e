//! What every test of the `jiayuan` binary shares: its stores are encrypted, keyed by a
//! passphrase given in the environment (as scripts give it), never by the machine's keychain.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use jiayuan_core::store::keying::{unlock, MemoryKeychain, Unlock, PASSPHRASE_ENV};
use jiayuan_core::store::StoreKey;
use jiayuan_core::Store;

pub const PASSPHRASE: &str = "passphrase of the test stores";

/// The binary, with the test stores' passphrase.
pub fn jiayuan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jiayuan"));
    cmd.env(PASSPHRASE_ENV, PASSPHRASE);
    cmd
}

/// The key of the test stores in `db`'s folder.
pub fn key(db: &Path) -> StoreKey {
    let dir = db.parent().expect("a store in a folder");
    match unlock(dir, &MemoryKeychain::none(), Some(PASSPHRASE)).expect("the folder's key") {
        Unlock::Key(key) => key,
        Unlock::NeedsPassphrase { .. } => unreachable!("a passphrase was given"),
    }
}

/// The store at `db` as the binary opens it.
pub fn open_store(db: &Path) -> jiayuan_core::Result<Store> {
    Store::open(db, Some(&key(db)))
}
