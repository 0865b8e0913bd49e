//! The desk's backup calls: a backup of this computer's store to a file, whether a restore is
//! possible here, and the restore itself, which closes the store, puts the backup in its place
//! and opens it again (with no login: the official signs in again as a new device).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{lock, BackupSummary, Desk, RestoreBlock, RestoreState, RestoreSummary, StoreKind};
use crate::error::{CoreError, Result};
use crate::store::backup::{self, InUse};
use crate::store::Store;

/// How long a restore waits for calls still reading the old store to finish.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

impl Desk {
    /// Writes a backup of the main store to `path`, encrypted under `passphrase`.
    pub fn backup_save(&self, path: &Path, passphrase: &str) -> Result<BackupSummary> {
        if self.current()?.kind != StoreKind::Main {
            return Err(CoreError::Invalid(
                "the demo district is not backed up: open this computer's store first".into(),
            ));
        }
        let r = self.write(|ctx| backup::backup(ctx, path, passphrase))?;
        Ok(BackupSummary {
            file: r.file.display().to_string(),
            bytes: r.bytes,
            residents: r.counts.residents,
            requests: r.counts.requests,
            volunteers: r.counts.volunteers,
            ops_waiting: r.counts.ops_waiting,
        })
    }

    /// Whether the main store may be replaced by a restore now.
    pub fn restore_state(&self) -> Result<RestoreState> {
        Ok(RestoreState {
            blocked: self.main_in_use()?.map(|b| match b {
                InUse::Work { .. } => RestoreBlock::Work,
                InUse::LoggedIn => RestoreBlock::LoggedIn,
            }),
        })
    }

    /// Why the main store must not be replaced, read from it whichever store is open.
    fn main_in_use(&self) -> Result<Option<InUse>> {
        match self.current()?.kind {
            StoreKind::Main => self.read(|store, _| backup::in_use(store)),
            StoreKind::Demo => {
                let key = self.key()?;
                let path = self.store_path(StoreKind::Main);
                if path.exists() {
                    backup::in_use(&Store::open(&path, Some(&key))?)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Restores the backup at `path` as this computer's main store and opens it.
    pub fn restore_from(&self, path: &Path, passphrase: &str) -> Result<RestoreSummary> {
        if lock(&self.cancel).is_some() {
            return Err(CoreError::Invalid(
                "an import is running; wait for it or cancel it before restoring".into(),
            ));
        }
        // The passphrase and the store's state first: a wrong passphrase closes nothing.
        let opened = backup::open(path, passphrase)?;
        if let Some(why) = self.main_in_use()? {
            return Err(CoreError::RestoreRefused(why.message()));
        }
        let key = self.key()?;
        self.close_open_store()?;
        let restored = opened.restore(&self.store_path(StoreKind::Main), &key, &*self.clock);
        // Reopened whatever happened: the restored store, or the one left untouched.
        let info = self.open_store(StoreKind::Main);
        let r = restored?;
        Ok(RestoreSummary {
            residents: r.counts.residents,
            requests: r.counts.requests,
            volunteers: r.counts.volunteers,
            ops_waiting: r.counts.ops_waiting,
            user_name: r.user_name,
            server_url: r.server_url,
            info: info?,
        })
    }

    /// Closes the open store and waits until no call holds a connection to it any more: a
    /// connection closing after its file was replaced would delete the new file's log.
    fn close_open_store(&self) -> Result<()> {
        let Some(open) = self.open.write().unwrap_or_else(|e| e.into_inner()).take() else {
            return Ok(());
        };
        let started = Instant::now();
        while Arc::strong_count(&open) > 1 {
            if started.elapsed() > CLOSE_WAIT {
                *self.open.write().unwrap_or_else(|e| e.into_inner()) = Some(open);
                return Err(CoreError::Invalid(
                    "the store is still busy (a sync or an export); try the restore again".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(open);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::desk::{Desk, RestoreBlock};
    use crate::store::keying::MemoryKeychain;
    use crate::sync::memhub::MemServer;
    use crate::sync::wire::Role;
    use crate::{Clock, ManualClock};

    const PASS: &str = "口令 for the new laptop";

    fn desk(dir: &std::path::Path, clock: Arc<ManualClock>) -> Desk {
        let desk =
            Desk::with_keychain(dir.to_path_buf(), clock, Arc::new(MemoryKeychain::default()));
        desk.open_last().unwrap();
        desk
    }

    #[test]
    fn the_app_backs_up_and_a_new_laptop_restores_then_signs_in() {
        let clock = Arc::new(ManualClock::fixed());
        let mut server = MemServer::new("本区", clock.now().timestamp_millis());
        server.add_user("alice", Role::DistrictSupervisor, None);
        let old = tempfile::tempdir().unwrap();
        let a = desk(old.path(), clock.clone());
        a.sync_login(&server, "mem://", "alice", "alice", "old laptop").unwrap();
        a.write(|ctx| {
            let draft = crate::sync::tests::person("张三", None);
            crate::residents::create(ctx, draft).map(|_| ())
        })
        .unwrap();
        assert_eq!(a.restore_state().unwrap().blocked, Some(RestoreBlock::Work));
        let file = old.path().join("b.jybackup");
        let saved = a.backup_save(&file, PASS).unwrap();
        assert_eq!((saved.residents, saved.ops_waiting), (1, 1));

        let new = tempfile::tempdir().unwrap();
        let b = desk(new.path(), clock.clone());
        assert_eq!(b.restore_state().unwrap().blocked, None, "a fresh store may be replaced");
        let e = b.restore_from(&file, "wrong passphrase!").unwrap_err();
        assert_eq!(e.code(), "wrong_backup_passphrase");
        assert!(b.info().is_ok(), "a refused restore leaves the store open");
        let r = b.restore_from(&file, PASS).unwrap();
        assert_eq!((r.residents, r.ops_waiting), (1, 2), "the work and the restore's record");
        assert_eq!(r.user_name.as_deref(), Some("alice"));
        assert_eq!(r.info.residents, 1, "the restored store is open");
        assert!(!b.sync_status().unwrap().logged_in, "signs in again as a new device");
        assert_eq!(b.restore_state().unwrap().blocked, Some(RestoreBlock::Work));
        let e = b.restore_from(&file, PASS).unwrap_err();
        assert_eq!(e.code(), "restore_refused");
        assert!(e.to_string().contains("(2 audited actions, 2 waiting to sync)"), "{e}");
        b.sync_login(&server, "mem://", "alice", "alice", "new laptop").unwrap();
        b.sync_now(&server, &mut |_| {}).unwrap();
        a.sync_now(&server, &mut |_| {}).unwrap();
        let people = server
            .hub
            .borrow()
            .rows()
            .iter()
            .filter(|s| s.row.entity == crate::sync::wire::entity::RESIDENT)
            .count();
        assert_eq!(people, 1, "one resident, sent by both laptops");
        let log = server.hub.borrow().log();
        let ids: std::collections::HashSet<_> = log.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids.len(), log.len(), "each op applied once");
        assert_eq!(log.len(), 3, "the resident, the backup, the restore and nothing else");
        assert_eq!(b.info().unwrap().outbox, 0);
        assert_eq!(a.info().unwrap().outbox, 0);
    }
}
