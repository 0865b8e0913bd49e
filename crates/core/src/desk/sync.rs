//! The desk's sync calls: the status bar's figures, logging in and out, one sync (on its own
//! connection for a file store, so a long first sync never holds the writer the official's
//! commands need), and the conflicts page.

use std::sync::atomic::Ordering;

use super::{lock, Desk, StoreKind};
use crate::error::{CoreError, Result};
use crate::store::Store;
use crate::sync::access::{self, AccessReport, AccessRequest};
use crate::sync::client::{self, NetError, SyncProgress, SyncReport, Transport};

/// The note a wipe leaves in the data folder: when, and why.
pub const WIPED_FILE: &str = "wiped.json";
use crate::sync::view::{self, Conflicts, SyncStatus};

impl Desk {
    pub fn sync_status(&self) -> Result<SyncStatus> {
        self.read(|store, _| view::status(store))
    }

    /// Logs the open store in. The demo district never syncs.
    pub fn sync_login(
        &self,
        net: &dyn Transport,
        server_url: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<SyncStatus> {
        let open = self.current()?;
        let mut store = lock(&open.writer);
        if store.device().is_demo {
            return Err(crate::Refusal::DemoStaysLocal.into());
        }
        client::login(&mut store, net, server_url, username, password, device_name)?;
        // The login gave the store the account's district; pooled readers still hold the
        // device row they opened with (the status bar would keep the old name).
        lock(&open.readers).clear();
        open.generation.fetch_add(1, Ordering::SeqCst);
        view::status(&store)
    }

    pub fn sync_logout(&self) -> Result<SyncStatus> {
        let open = self.current()?;
        let mut store = lock(&open.writer);
        client::logout(&mut store)?;
        view::status(&store)
    }

    /// The server this store is logged in to, if any (the shell builds its transport).
    pub fn sync_server(&self) -> Result<Option<String>> {
        self.read(|store, _| {
            let s = view::status(store)?;
            Ok(s.server_url.filter(|_| s.logged_in && !store.device().is_demo))
        })
    }

    /// Pushes what waits and pulls what is new, reporting progress.
    pub fn sync_now(
        &self,
        net: &dyn Transport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<SyncReport> {
        let open = self.current()?;
        let demo = lock(&open.writer).device().is_demo;
        let out = match &open.path {
            Some(path) => {
                let mut own = Store::open(path, open.key.as_ref())?;
                let before = own.device().site_id.clone();
                let out = client::sync(&mut own, &*self.clock, net, progress);
                if own.device().site_id != before {
                    lock(&open.writer).reload_device()?;
                }
                out
            }
            None => client::sync(&mut lock(&open.writer), &*self.clock, net, progress),
        };
        open.generation.fetch_add(1, Ordering::SeqCst);
        lock(&open.cache).facets = None;
        if matches!(out, Err(CoreError::Sync(NetError::Revoked))) && !demo && open.path.is_some() {
            drop(open);
            self.wipe_after_revocation()?;
            return Err(CoreError::Wiped);
        }
        out
    }

    /// The server said this computer was revoked (before anything more was pushed): its stores
    /// and their key go, a note says when, and a fresh empty store opens. The demo goes too: it
    /// shares the key, and a lost laptop keeps nothing of the district's.
    fn wipe_after_revocation(&self) -> Result<()> {
        *self.open.write().unwrap_or_else(|e| e.into_inner()) = None;
        *lock(&self.key) = None;
        for kind in [StoreKind::Main, StoreKind::Demo] {
            crate::store::wipe_files(&self.store_path(kind))?;
        }
        crate::store::keying::forget(&self.data_dir, &*self.keychain)?;
        let _ = std::fs::remove_file(self.data_dir.join(super::LAST_STORE_FILE));
        let note =
            serde_json::json!({ "wiped_at": self.clock.now().to_rfc3339(), "why": "revoked" });
        std::fs::write(self.data_dir.join(WIPED_FILE), note.to_string())?;
        tracing::warn!("this computer was revoked: its stores and their key were wiped");
        // A fresh store (or the passphrase screen, where there is no keychain).
        if let Err(e) = self.open_last() {
            tracing::info!(code = e.code(), "no store open after the wipe");
        }
        Ok(())
    }

    /// The district's access report from the server: who revealed or exported residents'
    /// data, per place, in `[from_ms, to_ms)`. On its own connection, like a sync, so a slow
    /// network never holds the writer.
    pub fn access_report(
        &self,
        net: &dyn Transport,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<AccessReport> {
        let open = self.current()?;
        if lock(&open.writer).device().is_demo {
            return Err(crate::Refusal::DemoStaysLocal.into());
        }
        let req = AccessRequest { from_ms, to_ms };
        match &open.path {
            Some(path) => {
                access::fetch(&Store::open(path, open.key.as_ref())?, &*self.clock, net, req)
            }
            None => access::fetch(&lock(&open.writer), &*self.clock, net, req),
        }
    }

    pub fn sync_conflicts(&self) -> Result<Conflicts> {
        self.read(|store, _| view::conflicts(store))
    }

    /// "Apply mine again": the lost value, set again as a new edit.
    pub fn sync_reapply(&self, conflict_id: &str) -> Result<Conflicts> {
        self.write(|ctx| view::reapply(ctx, conflict_id))?;
        self.sync_conflicts()
    }

    pub fn sync_dismiss(&self, id: &str) -> Result<Conflicts> {
        {
            let open = self.current()?;
            view::dismiss(&mut lock(&open.writer), id)?;
        }
        self.sync_conflicts()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::keying::MemoryKeychain;
    use crate::sync::memhub::MemServer;
    use crate::sync::wire::Role;
    use crate::{Clock, CoreError, ManualClock};

    use super::super::Desk;

    #[test]
    fn a_revoked_computer_pushes_nothing_more_and_wipes_its_stores_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::fixed());
        let keychain = Arc::new(MemoryKeychain::default());
        let mut server = MemServer::new("本区", clock.now().timestamp_millis());
        server.add_user("alice", Role::DistrictSupervisor, None);
        let desk = Desk::with_keychain(dir.path().to_path_buf(), clock.clone(), keychain.clone());
        desk.open_last().unwrap();
        desk.sync_login(&server, "mem://", "alice", "alice", "laptop").unwrap();
        let add = |name: &str| {
            desk.write(|ctx| {
                let draft = crate::residents::ResidentDraft {
                    name: name.into(),
                    phone: Some("13800138000".into()),
                    community: Some("建设社区".into()),
                    grid: Some("1网格".into()),
                    ..Default::default()
                };
                crate::residents::create(ctx, draft).map(|_| ())
            })
            .unwrap()
        };
        add("张三");
        desk.sync_now(&server, &mut |_| {}).unwrap();
        let on_server = server.hub.borrow().rows().len();
        let old_site = desk.read(|s, _| Ok(s.device().site_id.clone())).unwrap();

        // Revoked on the server; meanwhile the laptop wrote more.
        server.revoke_user("alice");
        add("李四");
        let e = desk.sync_now(&server, &mut |_| {}).unwrap_err();
        assert!(matches!(e, CoreError::Wiped), "{e}");
        assert_eq!(e.code(), "wiped");
        assert_eq!(server.hub.borrow().rows().len(), on_server, "nothing more reached the server");
        let note = std::fs::read_to_string(dir.path().join(super::WIPED_FILE)).unwrap();
        assert!(note.contains("revoked"), "{note}");
        // A fresh, empty store under a new key: nothing of the district is left.
        let info = desk.info().unwrap();
        assert_eq!(info.residents, 0);
        assert_ne!(desk.read(|s, _| Ok(s.device().site_id.clone())).unwrap(), old_site);
        assert!(!desk.sync_status().unwrap().logged_in);
    }

    #[test]
    fn reveals_and_exports_reach_the_district_report_under_their_place_for_those_who_oversee_it() {
        use crate::desk::types::{PrintKind, ResidentQuery, RevealField};
        use crate::sync::access::AccessAction;

        let clock = Arc::new(ManualClock::fixed());
        let keychain = Arc::new(MemoryKeychain::default());
        let mut server = MemServer::new("本区", clock.now().timestamp_millis());
        server.add_user("alice", Role::DistrictSupervisor, None);
        let (dir, other_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let desk = Desk::with_keychain(dir.path().to_path_buf(), clock.clone(), keychain.clone());
        desk.open_last().unwrap();
        desk.sync_login(&server, "mem://", "alice", "alice", "laptop").unwrap();
        let add = |name: &str, grid: &str| {
            desk.write(|ctx| {
                let draft = crate::residents::ResidentDraft {
                    name: name.into(),
                    id_number: (name == "张三").then(|| "11010519491231002X".into()),
                    phone: Some("13800138000".into()),
                    street: Some("东栅街道".into()),
                    community: Some("建设社区".into()),
                    grid: Some(grid.into()),
                    ..Default::default()
                };
                crate::residents::create(ctx, draft).map(|r| r.id)
            })
            .unwrap()
        };
        let zhang = add("张三", "1网格");
        let li = add("李四", "2网格");
        desk.resident_reveal(&zhang, RevealField::IdNumber).unwrap();
        desk.resident_reveal(&li, RevealField::Phone).unwrap();
        let community =
            ResidentQuery { community: Some("建设社区".into()), ..Default::default() };
        let file = dir.path().join("建设社区.csv");
        assert_eq!(desk.residents_export(&community, &file).unwrap(), 2);
        desk.print_list(&ResidentQuery::default(), PrintKind::Calls).unwrap();
        desk.sync_now(&server, &mut |_| {}).unwrap();

        let now = clock.now().timestamp_millis();
        let report = desk.access_report(&server, now - 3_600_000, now + 1).unwrap();
        let places: Vec<(&str, u32, u32)> =
            report.places.iter().map(|p| (p.place.as_str(), p.reveals, p.exports)).collect();
        assert_eq!(
            places,
            [
                ("", 0, 1),
                ("东栅街道/建设社区", 0, 1),
                ("东栅街道/建设社区/1网格", 1, 0),
                ("东栅街道/建设社区/2网格", 1, 0)
            ],
            "{report:#?}"
        );
        let reveal = &report.places[2].entries[0];
        assert_eq!(reveal.action, AccessAction::Reveal);
        assert_eq!(reveal.field.as_deref(), Some("id_number"));
        assert_eq!(reveal.resident.as_deref(), Some("张三"));
        assert_eq!(reveal.who, "alice");
        let export = &report.places[1].entries[0];
        assert_eq!((export.action, export.count), (AccessAction::Export, Some(2)));
        assert_eq!(
            export.file.as_deref(),
            Some("建设社区.csv"),
            "the file's name, never its folder"
        );
        assert_eq!(report.places[0].entries[0].action, AccessAction::Print);
        let earlier = desk.access_report(&server, now - 7_200_000, now - 3_600_000).unwrap();
        assert!(earlier.places.is_empty(), "the period bounds the report: {earlier:#?}");

        // A grid lead reads their own grid's record only; a grid official reads none.
        let grid2: String = desk
            .read(|s, _| {
                Ok(s.conn()
                    .query_row("SELECT id FROM areas WHERE name = '2网格'", [], |r| r.get(0))?)
            })
            .unwrap();
        server.add_user("lead2", Role::GridLead, Some(grid2.clone()));
        server.add_user("grace", Role::GridOfficial, Some(grid2));
        let other = Desk::with_keychain(other_dir.path().to_path_buf(), clock.clone(), keychain);
        other.open_last().unwrap();
        other.sync_login(&server, "mem://", "lead2", "lead2", "grid laptop").unwrap();
        let theirs = other.access_report(&server, now - 3_600_000, now + 1).unwrap();
        let places: Vec<&str> = theirs.places.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(places, ["东栅街道/建设社区/2网格"]);
        other.sync_logout().unwrap();
        other.sync_login(&server, "mem://", "grace", "grace", "grid laptop").unwrap();
        let e = other.access_report(&server, now - 3_600_000, now + 1).unwrap_err();
        assert!(matches!(e, CoreError::Sync(crate::sync::client::NetError::Forbidden(_))), "{e}");
        assert!(desk.access_report(&server, now, now).is_err(), "an empty period is refused");
    }

    #[test]
    fn after_a_wipe_where_no_keychain_keeps_the_key_a_new_passphrase_is_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::fixed());
        let mut server = MemServer::new("本区", clock.now().timestamp_millis());
        server.add_user("alice", Role::DistrictSupervisor, None);
        let keychain = Arc::new(MemoryKeychain::none());
        let desk = Desk::with_keychain(dir.path().to_path_buf(), clock.clone(), keychain);
        desk.unlock("the passphrase of this laptop").unwrap();
        desk.sync_login(&server, "mem://", "alice", "alice", "laptop").unwrap();
        desk.sync_now(&server, &mut |_| {}).unwrap();
        server.revoke_user("alice");
        let e = desk.sync_now(&server, &mut |_| {}).unwrap_err();
        assert!(matches!(e, CoreError::Wiped), "{e}");
        // What the window asks for next: a passphrase for a new store, not a bare error.
        let e = desk.info().unwrap_err();
        assert!(matches!(e, CoreError::StoreLocked { first: true }), "{e}");
        assert_eq!(e.code(), "store_needs_passphrase");
        desk.unlock("a new passphrase after the wipe").unwrap();
        let info = desk.info().unwrap();
        assert_eq!(info.residents, 0);
        assert!(!desk.sync_status().unwrap().logged_in);
    }

    #[test]
    fn a_failed_sync_keeps_its_kind_for_the_status_bar() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::fixed());
        let mut server = MemServer::new("本区", clock.now().timestamp_millis());
        server.add_user("alice", Role::DistrictSupervisor, None);
        let keychain = Arc::new(MemoryKeychain::default());
        let desk = Desk::with_keychain(dir.path().to_path_buf(), clock.clone(), keychain);
        desk.open_last().unwrap();
        desk.sync_login(&server, "mem://", "alice", "alice", "laptop").unwrap();
        server.online.set(false);
        desk.sync_now(&server, &mut |_| {}).unwrap_err();
        let status = desk.sync_status().unwrap();
        assert!(!status.online);
        assert_eq!(status.last_error_code.as_deref(), Some("offline"));
        server.online.set(true);
        desk.sync_now(&server, &mut |_| {}).unwrap();
        let status = desk.sync_status().unwrap();
        assert!(status.online);
        assert_eq!((status.last_error, status.last_error_code), (None, None));
    }
}
