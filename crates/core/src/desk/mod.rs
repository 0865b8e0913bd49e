//! The desktop app's API: one handle ([`Desk`]) that the Tauri shell keeps as managed state and
//! calls from its commands, and that tests call without Tauri. It owns the open store (a
//! writer connection and a small pool of readers, so searching goes on while an import
//! writes), the clock and the local profile, and turns core's results into the types of
//! [`types`], which cross to the UI.

mod backup;
mod imports;
pub mod lock;
mod people;
pub mod sync;
pub mod types;
mod volunteer_import;
pub mod volunteers;
pub mod work;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rustc_hash::FxHashMap;

pub use types::*;

use crate::clock::Clock;
use crate::context::{Actor, Ctx};
use crate::error::{CoreError, Result};
use crate::residents::list::AreaPath;
use crate::store::keying::{self, Keychain, OsKeychain, Unlock};
use crate::store::{Store, StoreKey};

/// Residents the demo district gets: a street office's worth, built in a few seconds.
pub const DEMO_RESIDENTS: usize = 20_000;
/// A month of requests in the demo district: about 1,200, made by the real commands.
pub const DEMO_REQUESTS_PER_DAY: u32 = 40;
/// Readers kept open for reuse; more are opened when needed and closed after.
const READERS: usize = 3;
/// The file in the data folder that remembers which store was open last.
const LAST_STORE_FILE: &str = "last-store.txt";

/// The app's handle on its data. Every method takes `&self` and synchronises itself.
pub struct Desk {
    data_dir: PathBuf,
    clock: Arc<dyn Clock>,
    keychain: Arc<dyn Keychain>,
    /// The data folder's store key, once the keychain or a passphrase gave it.
    key: Mutex<Option<StoreKey>>,
    /// The app lock is on (see [`lock`]).
    locked: AtomicBool,
    open: RwLock<Option<Arc<Open>>>,
    /// The running import's cancel flag, if one runs.
    cancel: Mutex<Option<Arc<AtomicBool>>>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

struct Open {
    kind: StoreKind,
    path: Option<PathBuf>,
    key: Option<StoreKey>,
    writer: Mutex<Store>,
    readers: Mutex<Vec<Store>>,
    actor: Actor,
    /// Bumped by every write through this handle; caches keyed on it go stale.
    generation: AtomicU64,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    areas_key: Option<(i64, i64)>,
    areas: Arc<FxHashMap<i64, AreaPath>>,
    /// (generation, filter and search text) → totals and search hits.
    totals: FxHashMap<(u64, String), u64>,
    hits: FxHashMap<(u64, String), Arc<Vec<i64>>>,
    /// Tag counts take a pass over a million tag rows: kept until the next write.
    facets: Option<(u64, Facets)>,
    /// Volunteers ready to rank, read once per write.
    pool: Option<((i64, i64), Arc<crate::volunteers::dispatch::Pool>)>,
}

impl Desk {
    /// A handle on the stores in `data_dir`, keyed by the system's keychain; nothing is opened
    /// until asked.
    pub fn new(data_dir: PathBuf, clock: Arc<dyn Clock>) -> Desk {
        Desk::with_keychain(data_dir, clock, Arc::new(OsKeychain))
    }

    /// The same, with the store key kept in `keychain` (tests, benchmarks).
    pub fn with_keychain(
        data_dir: PathBuf,
        clock: Arc<dyn Clock>,
        keychain: Arc<dyn Keychain>,
    ) -> Desk {
        Desk {
            data_dir,
            clock,
            keychain,
            key: Mutex::new(None),
            locked: AtomicBool::new(false),
            open: RwLock::new(None),
            cancel: Mutex::new(None),
        }
    }

    /// A handle on a fresh in-memory store: the twin the tests use.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Desk> {
        let desk = Desk::new(PathBuf::new(), clock);
        let store = Store::open_in_memory()?;
        desk.install(StoreKind::Main, None, None, store);
        Ok(desk)
    }

    /// The data folder's key: kept, or from the keychain (made there the first time). Where
    /// there is no keychain the passphrase must have been given ([`Desk::unlock`]).
    fn key(&self) -> Result<StoreKey> {
        let mut kept = lock(&self.key);
        if let Some(k) = kept.as_ref() {
            return Ok(k.clone());
        }
        match keying::unlock(&self.data_dir, &*self.keychain, None)? {
            Unlock::Key(k) => Ok(kept.insert(k).clone()),
            Unlock::NeedsPassphrase { first } => Err(CoreError::StoreLocked { first }),
        }
    }

    /// Takes the passphrase of a folder with no keychain (checked, or set the first time) and
    /// opens the store used last.
    pub fn unlock(&self, passphrase: &str) -> Result<StoreInfo> {
        self.give_passphrase(passphrase)?;
        self.open_last()
    }

    /// Takes the passphrase without opening a store (scripts and tests give it once).
    pub fn give_passphrase(&self, passphrase: &str) -> Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        let key = match keying::unlock(&self.data_dir, &*self.keychain, Some(passphrase))? {
            Unlock::Key(k) => k,
            Unlock::NeedsPassphrase { .. } => return Err(CoreError::WrongPassphrase),
        };
        *lock(&self.key) = Some(key);
        Ok(())
    }

    fn store_path(&self, kind: StoreKind) -> PathBuf {
        match kind {
            StoreKind::Main => self.data_dir.join("jiayuan.db"),
            StoreKind::Demo => self.data_dir.join("demo.db"),
        }
    }

    fn install(&self, kind: StoreKind, path: Option<PathBuf>, key: Option<StoreKey>, store: Store) {
        let actor = Actor::local_profile(&store);
        let open = Open {
            kind,
            path,
            key,
            writer: Mutex::new(store),
            readers: Mutex::new(Vec::new()),
            actor,
            generation: AtomicU64::new(0),
            cache: Mutex::new(Cache::default()),
        };
        *self.open.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(open));
    }

    /// Opens the store used last time (the main store the first time).
    pub fn open_last(&self) -> Result<StoreInfo> {
        let last = std::fs::read_to_string(self.data_dir.join(LAST_STORE_FILE)).unwrap_or_default();
        let kind = if last.trim() == "demo" && self.store_path(StoreKind::Demo).exists() {
            StoreKind::Demo
        } else {
            StoreKind::Main
        };
        self.open_store(kind)
    }

    /// Switches to the main or the demo store. The demo store is built on first use.
    pub fn open_store(&self, kind: StoreKind) -> Result<StoreInfo> {
        if self.cancel.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            return Err(CoreError::Invalid(
                "an import is running; wait for it or cancel it before switching stores".into(),
            ));
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let path = self.store_path(kind);
        let key = self.key()?;
        let mut store = Store::open(&path, Some(&key))?;
        if kind == StoreKind::Demo && crate::residents::count(&store)? == 0 {
            self.fill_demo(&mut store)?;
        }
        self.install(kind, Some(path), Some(key), store);
        let tag = match kind {
            StoreKind::Main => "main",
            StoreKind::Demo => "demo",
        };
        // Remembering the choice is a convenience; failing to is not worth an error.
        if let Err(e) = std::fs::write(self.data_dir.join(LAST_STORE_FILE), tag) {
            tracing::warn!(error = %e, "could not remember the open store");
        }
        self.info()
    }

    fn fill_demo(&self, store: &mut Store) -> Result<()> {
        store.set_district(crate::demo::DEMO_DISTRICT, true)?;
        let actor = Actor::local_profile(store);
        let today = self.clock.now().date_naive();
        let people = crate::demo::people(7, DEMO_RESIDENTS, today);
        let mut ctx = Ctx::new(store, &*self.clock, &actor);
        crate::residents::create_many(&mut ctx, people, "demo")?;
        crate::requests::demo::month(store, &actor, 7, self.clock.now(), DEMO_REQUESTS_PER_DAY)?;
        Ok(())
    }

    fn current(&self) -> Result<Arc<Open>> {
        let open = self.open.read().unwrap_or_else(|e| e.into_inner()).clone();
        match open {
            Some(open) => Ok(open),
            // Closed because its key is not here (no passphrase given yet, or a revocation
            // wipe forgot it): said as such, so the window asks for the passphrase.
            None => Err(match self.key() {
                Err(locked @ CoreError::StoreLocked { .. }) => locked,
                _ => CoreError::Invalid("no store is open".into()),
            }),
        }
    }

    /// Runs a read on a pooled reader (WAL lets it run beside a long import). An in-memory
    /// store has no second connection, so its reads share the writer.
    fn read<T>(&self, f: impl FnOnce(&Store, &Open) -> Result<T>) -> Result<T> {
        let open = self.current()?;
        let Some(path) = &open.path else {
            let store = lock(&open.writer);
            return f(&store, &open);
        };
        let pooled = lock(&open.readers).pop();
        let store = match pooled {
            Some(s) => s,
            None => Store::open(path, open.key.as_ref())?,
        };
        let out = f(&store, &open);
        let mut pool = lock(&open.readers);
        if pool.len() < READERS {
            pool.push(store);
        }
        out
    }

    /// Runs a command through the one write path on the writer connection.
    fn write<T>(&self, f: impl FnOnce(&mut Ctx<'_>) -> Result<T>) -> Result<T> {
        let open = self.current()?;
        let mut store = lock(&open.writer);
        // Read per command: a login or logout changes who acts without reopening the store.
        let actor =
            if store.device().is_demo { open.actor.clone() } else { Actor::current(&store) };
        let mut ctx = Ctx::new(&mut store, &*self.clock, &actor);
        let out = f(&mut ctx);
        open.generation.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// What the frame shows about the open store.
    pub fn info(&self) -> Result<StoreInfo> {
        let demo_exists = self.store_path(StoreKind::Demo).exists();
        self.read(|store, open| {
            let residents = cached_total(store, open, &ResidentQuery::default())?;
            let n = |sql: &str| -> Result<u64> {
                Ok(store.conn().query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
            };
            let outbox = n("SELECT count(*) FROM outbox")?;
            let imports = n("SELECT count(*) FROM batches WHERE kind = 'import'")?;
            let device = store.device();
            Ok(StoreInfo {
                kind: open.kind,
                path: open.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                district: device.district.clone(),
                is_demo: device.is_demo,
                residents,
                // The demo never syncs, so nothing of it waits to be sent.
                outbox: if device.is_demo { 0 } else { outbox },
                first_start: open.kind == StoreKind::Main && residents == 0 && imports == 0,
                demo_exists,
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
        })
    }

    /// Writes the blank roster template.
    pub fn template_save(path: &Path) -> Result<()> {
        crate::export::write_template(path)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves SQLite consistent (the transaction rolled
    // back), so the connection is still good to use.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The number of residents a query's filters select (search text aside), cached until the
/// next write.
fn cached_total(store: &Store, open: &Open, q: &ResidentQuery) -> Result<u64> {
    let key = (open.generation.load(Ordering::SeqCst), filter_key(q));
    if let Some(n) = lock(&open.cache).totals.get(&key) {
        return Ok(*n);
    }
    let sel = people::selection(store, q)?;
    let n = crate::residents::list::count(store, &sel)?;
    let mut cache = lock(&open.cache);
    if cache.totals.len() > 256 {
        cache.totals.clear();
    }
    cache.totals.insert(key, n);
    Ok(n)
}

fn filter_key(q: &ResidentQuery) -> String {
    format!("{:?}\u{1}{:?}\u{1}{:?}", q.community, q.grid, q.tag)
}

fn area_paths(store: &Store, open: &Open) -> Result<Arc<FxHashMap<i64, AreaPath>>> {
    let key = crate::residents::list::areas_generation(store)?;
    {
        let cache = lock(&open.cache);
        if cache.areas_key == Some(key) {
            return Ok(cache.areas.clone());
        }
    }
    let paths = Arc::new(crate::residents::list::area_paths(store)?);
    let mut cache = lock(&open.cache);
    cache.areas_key = Some(key);
    cache.areas = paths.clone();
    Ok(paths)
}

#[cfg(test)]
mod tests;
