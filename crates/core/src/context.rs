//! The explicit context of every core operation: which store, what time it is, who acts.

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::store::Store;

/// Who is acting. Before anyone logs in it is the store's local profile; after login it will
/// be the account, recorded together with the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// A stable id (the local profile's UUID, later an account id).
    pub id: String,
    /// What a person reads in the history ("本机 (alice)").
    pub display: String,
}

impl Actor {
    pub fn new(id: impl Into<String>, display: impl Into<String>) -> Actor {
        Actor { id: id.into(), display: display.into() }
    }

    /// Who acts on this store now: the logged-in account (with the local profile's machine
    /// user, so the history shows both), else the local profile.
    pub fn current(store: &Store) -> Actor {
        let account: Option<(String, String)> = store
            .conn()
            .query_row(
                "SELECT user_id, ifnull(display_name, user_name) FROM sync_state
                 WHERE singleton = 1 AND user_id IS NOT NULL AND device_token IS NOT NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        match account {
            Some((id, name)) => Actor::new(id, name),
            None => Actor::local_profile(store),
        }
    }

    /// The store's local profile, which acts until someone logs in (design brief), shown with
    /// the operating system's user name.
    pub fn local_profile(store: &Store) -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default();
        let display = if user.is_empty() { "local".to_owned() } else { format!("local ({user})") };
        Actor::new(store.device().profile_id.clone(), display)
    }
}

pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub clock: &'a dyn Clock,
    pub actor: &'a Actor,
}

impl<'a> Ctx<'a> {
    pub fn new(store: &'a mut Store, clock: &'a dyn Clock, actor: &'a Actor) -> Ctx<'a> {
        Ctx { store, clock, actor }
    }

    /// Runs a command through the one write path (see [`crate::write`]).
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut crate::write::Write<'_>) -> crate::Result<T>,
    ) -> crate::Result<T> {
        crate::write::run(self.store, self.clock, self.actor, crate::write::Mode::Commit, f)
    }

    /// Runs the same command and rolls it back: what a real run would do, writing nothing.
    pub fn dry_run<T>(
        &mut self,
        f: impl FnOnce(&mut crate::write::Write<'_>) -> crate::Result<T>,
    ) -> crate::Result<T> {
        crate::write::run(self.store, self.clock, self.actor, crate::write::Mode::RollBack, f)
    }
}
