//! Dispatch: the volunteers for one request, ranked with their reasons (`rank`, pure), fed
//! from the store. The candidates are read once into a [`Pool`] (the desk keeps it until the
//! next write), so ranking a request among ten thousand volunteers is arithmetic, not I/O.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::rank::{self, Candidate, Health, Need, Ranked, Track};
use super::read::AreaTree;
use crate::error::{CoreError, Result};

/// One proposal as the dispatch panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Suggestion {
    pub rank: Ranked,
    pub phone: Option<String>,
    pub area_path: Vec<String>,
    pub skills: Vec<String>,
    pub load: u32,
    pub capacity: u32,
}

/// The ranking for a request, with what it asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Suggestions {
    pub request_id: String,
    pub skills: Vec<String>,
    #[ts(type = "number")]
    pub window_from_ms: i64,
    #[ts(type = "number")]
    pub window_to_ms: i64,
    pub planned: bool,
    /// How many volunteers were considered.
    pub considered: u32,
    pub volunteers: Vec<Suggestion>,
}

struct Extra {
    phone: Option<String>,
    area_rid: Option<i64>,
}

/// Every volunteer of the store, ready to rank.
pub struct Pool {
    candidates: Vec<Candidate>,
    extra: Vec<Extra>,
    tree: AreaTree,
}

impl Pool {
    /// Reads the volunteers, their active windows and their track records (three statements).
    pub fn load(store: &crate::Store) -> Result<Pool> {
        Pool::load_in(store.conn())
    }

    pub(crate) fn load_in(conn: &Connection) -> Result<Pool> {
        let tree = AreaTree::load(conn)?;
        let mut tracks: HashMap<String, Track> = HashMap::new();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT volunteer_id, sum(status = 'done'), sum(status = 'no_show'), sum(late),
                        (SELECT b.status = 'no_show' FROM assignments b
                          WHERE b.volunteer_id = a.volunteer_id AND b.status IN ('done', 'no_show')
                          ORDER BY b.assigned_at DESC LIMIT 1)
                 FROM assignments a GROUP BY volunteer_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Track {
                        done: r.get(1)?,
                        no_show: r.get(2)?,
                        late: r.get(3)?,
                        last_no_show: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                    },
                ))
            })?;
            for row in rows {
                let (id, t) = row?;
                tracks.insert(id, t);
            }
        }
        let mut booked: HashMap<String, Vec<(i64, i64, bool)>> = HashMap::new();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT volunteer_id, window_from, window_to, planned FROM assignments
                 WHERE status IN ('proposed', 'accepted', 'started')",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
            })?;
            for row in rows {
                let (id, b) = row?;
                booked.entry(id).or_default().push(b);
            }
        }
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, phone, area_rid, skills, availability, capacity, health, active
             FROM volunteers WHERE deleted = 0",
        )?;
        let mut candidates = Vec::new();
        let mut extra = Vec::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, bool>(8)?,
            ))
        })?;
        for row in rows {
            let (id, name, phone, area_rid, skills, availability, capacity, health, active) = row?;
            let bookings = booked.remove(&id).unwrap_or_default();
            candidates.push(Candidate {
                track: tracks.remove(&id).unwrap_or_default(),
                load: bookings.len() as u32,
                bookings,
                skills: serde_json::from_str(&skills).unwrap_or_default(),
                availability: serde_json::from_str(&availability).unwrap_or_default(),
                area_path: tree.path_ids(area_rid),
                capacity,
                health: Health::parse(&health).unwrap_or(Health::Well),
                active,
                id,
                name,
            });
            extra.push(Extra { phone, area_rid });
        }
        Ok(Pool { candidates, extra, tree })
    }

    /// What a pool read now is made of: volunteers and assignments (bumped by triggers on
    /// every change, whoever writes: a command or a sync) and the address tree.
    pub fn generation(store: &crate::Store) -> Result<(i64, i64)> {
        Ok(store.conn().query_row(
            "SELECT (SELECT n FROM volunteer_generation), (SELECT ifnull(max(rid), 0) FROM areas)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    /// The `top` volunteers for a request at `now_ms`, for a planned `slot` or from now.
    pub fn suggest(
        &self,
        store: &crate::Store,
        request_id: &str,
        now_ms: i64,
        slot: Option<(i64, i64)>,
        top: usize,
    ) -> Result<Suggestions> {
        let need = self.need(store.conn(), request_id, now_ms, slot)?;
        // Whoever already declined this request, did not show for it or was released from it
        // is not proposed for it again: the official has just been let down by them here.
        let tried: std::collections::HashSet<String> = store
            .conn()
            .prepare_cached(
                "SELECT volunteer_id FROM assignments WHERE request_id = ?1
                 AND status IN ('declined', 'no_show', 'released')",
            )?
            .query_map([request_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let ranked = rank::rank_top(&need, &self.candidates, top + tried.len());
        let index: HashMap<&str, usize> =
            self.candidates.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let volunteers = ranked
            .into_iter()
            .filter(|r| !tried.contains(&r.id))
            .take(top)
            .map(|r| {
                let i = index[r.id.as_str()];
                let (c, x) = (&self.candidates[i], &self.extra[i]);
                Suggestion {
                    phone: x.phone.clone(),
                    area_path: self.tree.path_names(x.area_rid),
                    skills: c.skills.clone(),
                    load: c.load,
                    capacity: c.capacity,
                    rank: r,
                }
            })
            .collect();
        Ok(Suggestions {
            request_id: request_id.to_owned(),
            skills: need.skills,
            window_from_ms: need.window.0,
            window_to_ms: need.window.1,
            planned: need.planned,
            considered: self.candidates.len() as u32,
            volunteers,
        })
    }

    /// What a request asks: its category's skills, its place, the time it would hold.
    pub(crate) fn need(
        &self,
        conn: &Connection,
        request_id: &str,
        now_ms: i64,
        slot: Option<(i64, i64)>,
    ) -> Result<Need> {
        let (category, area_rid): (String, Option<i64>) = conn
            .prepare_cached("SELECT category, area_rid FROM requests WHERE id = ?1")?
            .query_row([request_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("request {request_id}")))?;
        let service = super::refdata::service_of(conn, &category)?;
        let (window, planned) = match slot {
            Some(s) => (s, true),
            None => ((now_ms, now_ms + i64::from(service.task_minutes) * 60_000), false),
        };
        Ok(Need {
            skills: service.skills,
            area_path: self.tree.path_ids(area_rid),
            now_ms,
            window,
            planned,
            tz: super::points::tz(conn)?,
        })
    }
}
