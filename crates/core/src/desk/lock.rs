//! The app lock: after the idle time the district sets, or when the official asks, the app
//! locks; it opens again with the official's password, checked offline against the hash kept
//! at login (or, before anyone has logged in, with the store's passphrase where it has one).
//! While locked the shell answers every command but these with `locked`.

use std::sync::atomic::Ordering;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::OptionalExtension;
use serde::Serialize;
use ts_rs::TS;

use super::Desk;
use crate::error::{CoreError, Result};
use crate::refusal::Refusal;

pub const IDLE_MINUTES_DEFAULT: u32 = 10;
pub const IDLE_MINUTES_MIN: u32 = 1;
pub const IDLE_MINUTES_MAX: u32 = 240;
const IDLE_KEY: &str = "lock_idle_minutes";

/// What opens the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LockBy {
    /// The official's password, as at the last login.
    Password,
    /// The store's passphrase (no login yet, a computer without keychain).
    Passphrase,
    /// Nothing can be checked: the app does not lock.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LockState {
    pub locked: bool,
    /// The district's idle time before the app locks.
    pub idle_minutes: u32,
    pub by: LockBy,
    /// Who is asked for their password (empty before a login).
    pub user: String,
}

/// An argon2id hash of `password` (PHC string, salted). Light parameters (4 MiB, one pass):
/// the hash lives inside the encrypted store, so whoever could try passwords against it has
/// already got past the store's key; what it guards is the screen of an unlocked laptop.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = argon2::Params::new(4 * 1024, 1, 1, None)
        .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("password hash: {e}")))
}

impl Desk {
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    pub fn lock_state(&self) -> Result<LockState> {
        Ok(self.lock_facts()?.0)
    }

    /// The lock's state and the remembered login's hash, read once.
    fn lock_facts(&self) -> Result<(LockState, Option<String>)> {
        let (hash, user, idle) = self.read(|store, _| {
            let (hash, user): (Option<String>, Option<String>) = store
                .conn()
                .query_row(
                    "SELECT password_hash, coalesce(display_name, user_name) FROM sync_state
                     WHERE singleton = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or_default();
            let idle = crate::requests::refdata::setting(store.conn(), IDLE_KEY)?;
            Ok((hash, user, idle.and_then(|v| v.parse().ok()).unwrap_or(IDLE_MINUTES_DEFAULT)))
        })?;
        let by = if hash.is_some() {
            LockBy::Password
        } else if crate::store::keying::uses_passphrase(&self.data_dir)? {
            LockBy::Passphrase
        } else {
            LockBy::Nothing
        };
        let state = LockState {
            locked: self.is_locked(),
            idle_minutes: idle,
            by,
            user: if by == LockBy::Password { user.unwrap_or_default() } else { String::new() },
        };
        Ok((state, hash))
    }

    /// Locks now (the official's button, or the idle timer).
    pub fn lock_now(&self) -> Result<LockState> {
        let state = self.lock_state()?;
        if state.by == LockBy::Nothing {
            return Err(Refusal::LockNeedsLogin.into());
        }
        self.locked.store(true, Ordering::SeqCst);
        tracing::info!("the app locked");
        Ok(LockState { locked: true, ..state })
    }

    /// Opens the lock with the official's password (or the store's passphrase).
    pub fn lock_open(&self, secret: &str) -> Result<LockState> {
        let (state, hash) = self.lock_facts()?;
        let ok = match state.by {
            LockBy::Password => {
                let hash = hash.unwrap_or_default();
                let parsed = PasswordHash::new(&hash)
                    .map_err(|e| CoreError::Internal(format!("the remembered login: {e}")))?;
                argon2::Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok()
            }
            LockBy::Passphrase => {
                crate::store::keying::check_passphrase(&self.data_dir, secret)? == Some(true)
            }
            LockBy::Nothing => true,
        };
        if !ok {
            tracing::warn!("a wrong password at the app lock");
            return Err(CoreError::WrongPassword);
        }
        self.locked.store(false, Ordering::SeqCst);
        tracing::info!("the app unlocked");
        Ok(LockState { locked: false, ..state })
    }

    /// Sets the district's idle time before the app locks (a district setting, synced).
    pub fn set_lock_idle(&self, minutes: u32) -> Result<LockState> {
        if !(IDLE_MINUTES_MIN..=IDLE_MINUTES_MAX).contains(&minutes) {
            return Err(
                Refusal::LockIdleRange { min: IDLE_MINUTES_MIN, max: IDLE_MINUTES_MAX }.into()
            );
        }
        self.write(|ctx| {
            ctx.write(|w| {
                crate::requests::refdata::put_setting(w.tx(), IDLE_KEY, &minutes.to_string())?;
                w.record("district.set", serde_json::json!({ "keys": [IDLE_KEY] }))
            })
        })?;
        self.lock_state()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::keying::MemoryKeychain;
    use crate::ManualClock;

    fn desk(dir: &std::path::Path, keychain: MemoryKeychain) -> Desk {
        Desk::with_keychain(dir.to_path_buf(), Arc::new(ManualClock::fixed()), Arc::new(keychain))
    }

    #[test]
    fn the_lock_opens_with_the_remembered_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = desk(dir.path(), MemoryKeychain::default());
        d.open_last().unwrap();
        assert_eq!(d.lock_state().unwrap().by, LockBy::Nothing, "nobody logged in, no passphrase");
        let e = d.lock_now().unwrap_err();
        assert!(matches!(e, CoreError::Refused(Refusal::LockNeedsLogin)), "{e}");
        assert!(!d.is_locked());

        // What a login keeps: a hash, never the password.
        let hash = hash_password("官员的密码 1").unwrap();
        assert!(hash.starts_with("$argon2id$") && !hash.contains("官员的密码"));
        d.read(|s, _| {
            s.conn().execute(
                "UPDATE sync_state SET password_hash = ?1, display_name = '李主任' WHERE singleton = 1",
                [&hash],
            )?;
            Ok(())
        })
        .unwrap();
        let state = d.lock_now().unwrap();
        assert!(state.locked && d.is_locked());
        assert_eq!((state.by, state.user.as_str()), (LockBy::Password, "李主任"));
        assert!(matches!(d.lock_open("wrong"), Err(CoreError::WrongPassword)));
        assert!(d.is_locked(), "a wrong password keeps it locked");
        assert!(!d.lock_open("官员的密码 1").unwrap().locked);
        assert!(!d.is_locked());
    }

    #[test]
    fn before_a_login_a_passphrase_store_locks_with_its_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let d = desk(dir.path(), MemoryKeychain::none());
        d.unlock("口令足够长 2026").unwrap();
        assert_eq!(d.lock_state().unwrap().by, LockBy::Passphrase);
        d.lock_now().unwrap();
        assert!(matches!(d.lock_open("口令不对 2026"), Err(CoreError::WrongPassword)));
        d.lock_open("口令足够长 2026").unwrap();
        assert!(!d.is_locked());
    }

    #[test]
    fn the_district_sets_the_idle_time_within_bounds_and_it_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let d = desk(dir.path(), MemoryKeychain::default());
        d.open_last().unwrap();
        assert_eq!(d.lock_state().unwrap().idle_minutes, IDLE_MINUTES_DEFAULT);
        assert!(matches!(
            d.set_lock_idle(0),
            Err(CoreError::Refused(Refusal::LockIdleRange { .. }))
        ));
        assert_eq!(d.set_lock_idle(5).unwrap().idle_minutes, 5);
        let ops: i64 = d
            .read(|s, _| {
                Ok(s.conn().query_row(
                    "SELECT count(*) FROM outbox WHERE kind = 'district.set'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(ops, 1, "one op for the server and the other laptops");
    }
}
