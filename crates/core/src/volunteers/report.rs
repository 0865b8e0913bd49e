//! The at-risk report: volunteers who did not show for their last task, and assignments with
//! no progress for longer than the district allows (stale: the official can release them and
//! the request goes back to the queue).

use serde::{Deserialize, Serialize};

use super::assignment::{self, Assignment};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AtRisk {
    pub volunteer_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub area_path: Vec<String>,
    /// Their last finished task was a no-show.
    pub missed_last: bool,
    pub no_shows: u32,
    pub done: u32,
    /// Their assignments with no progress for too long.
    pub stale: Vec<Assignment>,
}

pub fn at_risk(store: &crate::Store, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<AtRisk>> {
    let conn = store.conn();
    let stale: Vec<Assignment> =
        assignment::open_in(conn, now)?.into_iter().filter(|a| a.stale).collect();
    let all = super::read::list_in(
        conn,
        &super::VolunteerFilter { inactive: true, ..Default::default() },
    )?;
    let mut out: Vec<AtRisk> = all
        .into_iter()
        .filter_map(|v| {
            let mine: Vec<Assignment> =
                stale.iter().filter(|a| a.volunteer_id == v.id).cloned().collect();
            (v.track.last_no_show || !mine.is_empty()).then_some(AtRisk {
                volunteer_id: v.id,
                name: v.name,
                phone: v.phone,
                area_path: v.area_path,
                missed_last: v.track.last_no_show,
                no_shows: v.track.no_show,
                done: v.track.done,
                stale: mine,
            })
        })
        .collect();
    // Stale work first (a request is waiting now), then missed tasks, oldest progress first.
    out.sort_by(|a, b| {
        let key = |r: &AtRisk| (r.stale.is_empty(), r.stale.first().map(|s| s.progress_at.clone()));
        key(a).cmp(&key(b)).then(a.name.cmp(&b.name))
    });
    Ok(out)
}
