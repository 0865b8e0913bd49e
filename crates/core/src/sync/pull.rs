//! The device's pull: pages of the district's changes from its cursor, each written in one
//! transaction with the cursor (docs/sync.md, Pull), fetched ahead on a second thread when the
//! transport can be shared, and the full resync when the server no longer keeps its place.

use rusqlite::params;

use super::client::{
    finish, follow_server_clock, state, NetError, SyncProgress, SyncReport, Transport,
};
use super::local::{self, Touched};
use super::outbox;
use super::wire::{PullRequest, PullResponse};
use crate::clock::Clock;
use crate::error::{CoreError, Result};
use crate::store::Store;

/// Rows per page once a pull is under way.
const PULL_ROWS: u32 = 20_000;

/// Rows asked for in the `n`th page of a pull: the first pages small, so a first sync shows
/// progress within a second, then [`PULL_ROWS`] (fewer commits, larger search segments).
fn page_limit(n: u32) -> u32 {
    (PULL_ROWS / 4) << n.min(2)
}

/// Why pulling stopped before the device caught up.
pub(super) enum Stop {
    Net(NetError),
    /// The cursor is too old: pull everything again.
    Resync,
    Local(CoreError),
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Self {
        Stop::Local(e)
    }
}

/// Pulls page after page from the saved cursor until caught up.
#[allow(clippy::too_many_arguments)]
pub(super) fn pull_pages(
    store: &mut Store,
    clock: &dyn Clock,
    net: &dyn Transport,
    access: &str,
    district: &str,
    start: i64,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(SyncProgress),
) -> std::result::Result<(), Stop> {
    for n in 0.. {
        let cursor = state(store.conn())?.cursor;
        let req = PullRequest { district: district.to_owned(), cursor, limit: page_limit(n) };
        let asked = std::time::Instant::now();
        let page = net.pull(access, &req).map_err(Stop::Net)?;
        if !take_page(store, clock, &page, asked.elapsed(), start, report, progress)? {
            break;
        }
    }
    Ok(())
}

/// [`pull_pages`] with the next page fetched on another thread while this one is written:
/// a first sync spends as long receiving and parsing a page as writing it. Each page is still
/// written with its cursor in one transaction, in order, so a crash loses nothing.
#[allow(clippy::too_many_arguments)]
pub(super) fn pull_ahead(
    store: &mut Store,
    clock: &dyn Clock,
    net: &(dyn Transport + Sync),
    access: &str,
    district: &str,
    start: i64,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(SyncProgress),
) -> std::result::Result<(), Stop> {
    let from = state(store.conn())?.cursor;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            let mut cursor = from;
            for n in 0.. {
                let req =
                    PullRequest { district: district.to_owned(), cursor, limit: page_limit(n) };
                let asked = std::time::Instant::now();
                let page = net.pull(access, &req);
                let next = match &page {
                    Ok(p) if p.more && !p.resync => Some(p.cursor),
                    _ => None,
                };
                // The writer stopped (a failure, or caught up): nothing more to fetch.
                if tx.send((page, asked.elapsed())).is_err() {
                    return;
                }
                match next {
                    Some(c) => cursor = c,
                    None => return,
                }
            }
        });
        // `rx` goes when this returns, so a fetcher blocked on sending ends too.
        let rx = rx;
        loop {
            let Ok((page, fetched)) = rx.recv() else {
                return Err(Stop::Local(CoreError::Internal("the page fetcher stopped".into())));
            };
            let page = page.map_err(Stop::Net)?;
            if !take_page(store, clock, &page, fetched, start, report, progress)? {
                return Ok(());
            }
        }
    })
}

/// Writes one pulled page; whether more follow.
fn take_page(
    store: &mut Store,
    clock: &dyn Clock,
    page: &PullResponse,
    fetched: std::time::Duration,
    start: i64,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(SyncProgress),
) -> std::result::Result<bool, Stop> {
    if page.resync {
        return Err(Stop::Resync);
    }
    let applying = std::time::Instant::now();
    apply_pull(store, clock, page)?;
    tracing::debug!(
        rows = page.rows.len(),
        fetch_ms = fetched.as_millis() as u64,
        apply_ms = applying.elapsed().as_millis() as u64,
        "pulled a page"
    );
    report.pulled += page.rows.len() as u32;
    report.cursor = page.cursor;
    report.head = page.head;
    progress(SyncProgress {
        phase: "pull".into(),
        done: (page.cursor - start).max(0) as u64,
        total: (page.head - start).max(0) as u64,
    });
    Ok(page.more)
}

fn apply_pull(store: &mut Store, clock: &dyn Clock, page: &PullResponse) -> Result<()> {
    let now = clock.now().to_rfc3339();
    let tx = store.conn_mut().transaction()?;
    let from: i64 = tx.query_row("SELECT cursor FROM sync_state", [], |r| r.get(0))?;
    let pending = outbox::pending(&tx)?;
    let mut touched = Touched::new(&tx)?;
    for row in &page.rows {
        // A row this device changed and has not pushed yet keeps its own values until the
        // server has decided the change; it comes back then with the decision in it.
        if !pending.is_empty() && pending.contains(&(row.entity.clone(), row.id.clone())) {
            continue;
        }
        local::write(&tx, row, &mut touched)?;
    }
    finish(&tx, clock, &touched)?;
    tx.execute(
        "UPDATE sync_state SET cursor = ?1, head = ?2 WHERE singleton = 1",
        params![page.cursor, page.head],
    )?;
    tx.execute(
        "INSERT INTO sync_received (at, from_cursor, to_cursor, rows) VALUES (?1, ?2, ?3, ?4)",
        params![now, from, page.cursor, page.rows.len() as i64],
    )?;
    follow_server_clock(&tx, clock, page.server_hlc, page.server_time_ms)?;
    tx.commit()?;
    Ok(())
}

/// The cursor was older than the server keeps tombstones for: the device cannot learn what
/// was deleted since, so it forgets every row it holds from the server and pulls the district
/// again from zero, in one transaction. Rows with ops still waiting stay (they are the
/// official's work, sent next); everything else comes back with the pull, and what the
/// server no longer has does not.
pub(super) fn resync(store: &mut Store) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    let pending = outbox::pending(&tx)?;
    let forgot = local::forget_synced(&tx, &pending)?;
    tx.execute("UPDATE sync_state SET cursor = 0 WHERE singleton = 1", [])?;
    tx.commit()?;
    tracing::warn!(
        rows = forgot,
        "the server no longer keeps this device's place: pulling everything again"
    );
    Ok(())
}
