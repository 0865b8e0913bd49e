//! The address tree: district > street > community > grid. Nodes are created on first use
//! (a roster naming a new grid creates it) through the write path, and cached per command so
//! a million-row import resolves each place once.

use std::collections::HashMap;

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::error::Result;
use crate::write::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    District,
    Street,
    Community,
    Grid,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        [Level::District, Level::Street, Level::Community, Level::Grid]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }
}

/// A node created by a command, for its outbox operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewArea {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: Level,
    pub name: String,
}

/// Where a resident lives, as far as the roster says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Place<'a> {
    pub street: Option<&'a str>,
    pub community: Option<&'a str>,
    pub grid: Option<&'a str>,
}

/// An area as residents refer to it locally (`rid`) and as every device knows it (`id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRef {
    pub rid: i64,
    pub id: String,
}

/// Resolves places to areas within one command, creating missing nodes.
#[derive(Debug, Default)]
pub struct Resolver {
    cache: HashMap<(Option<String>, Level, String), AreaRef>,
    by_id: HashMap<String, i64>,
    district: Option<AreaRef>,
    /// Nodes created so far in this command; the caller puts them in its operation.
    pub created: Vec<NewArea>,
    /// Places already resolved, by a hash of their names (checked on hit), so the millionth
    /// row of a district with a few hundred grids costs one hash and no allocation.
    places: rustc_hash::FxHashMap<u64, Vec<(PlaceKey, Option<AreaRef>)>>,
}

type PlaceKey = (Option<String>, Option<String>, Option<String>);

fn place_hash(p: &Place<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (p.street, p.community, p.grid).hash(&mut h);
    h.finish()
}

impl Resolver {
    /// The deepest known area of `place`, or `None` when the roster names no community or grid.
    pub fn resolve(&mut self, w: &mut Write<'_>, place: &Place<'_>) -> Result<Option<AreaRef>> {
        if place.community.is_none() && place.grid.is_none() {
            return Ok(None);
        }
        let hash = place_hash(place);
        let same = |(s, c, g): &PlaceKey| {
            s.as_deref() == place.street
                && c.as_deref() == place.community
                && g.as_deref() == place.grid
        };
        if let Some(hit) = self.places.get(&hash).and_then(|b| b.iter().find(|(k, _)| same(k))) {
            return Ok(hit.1.clone());
        }
        let area = self.resolve_uncached(w, place)?;
        let key = (
            place.street.map(str::to_owned),
            place.community.map(str::to_owned),
            place.grid.map(str::to_owned),
        );
        self.places.entry(hash).or_default().push((key, area.clone()));
        Ok(area)
    }

    fn resolve_uncached(
        &mut self,
        w: &mut Write<'_>,
        place: &Place<'_>,
    ) -> Result<Option<AreaRef>> {
        let district = self.district(w)?;
        let street = match place.street {
            Some(s) => Some(self.child(w, Some(&district.id), Level::Street, s)?),
            None => None,
        };
        let community = match place.community {
            Some(c) => Some(match &street {
                Some(s) => self.child(w, Some(&s.id), Level::Community, c)?,
                // A roster without a street column: reuse the community of that name wherever
                // it hangs, so two rosters of one community don't split it in two.
                None => match self.find_anywhere(w, Level::Community, c)? {
                    Some(a) => a,
                    None => self.child(w, Some(&district.id), Level::Community, c)?,
                },
            }),
            None => None,
        };
        match place.grid {
            Some(g) => {
                let parent = community.unwrap_or(district);
                Ok(Some(self.child(w, Some(&parent.id), Level::Grid, g)?))
            }
            None => Ok(community),
        }
    }

    /// The local row number of the area with this id.
    pub fn rid_of(&mut self, w: &Write<'_>, id: &str) -> Result<i64> {
        if let Some(rid) = self.by_id.get(id) {
            return Ok(*rid);
        }
        let rid: i64 = w
            .tx()
            .prepare_cached("SELECT rid FROM areas WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        self.by_id.insert(id.to_owned(), rid);
        Ok(rid)
    }

    fn district(&mut self, w: &mut Write<'_>) -> Result<AreaRef> {
        if let Some(d) = &self.district {
            return Ok(d.clone());
        }
        let name: String =
            w.tx()
                .query_row("SELECT district FROM device WHERE singleton = 1", [], |r| r.get(0))?;
        let id = self.child(w, None, Level::District, &name)?;
        self.district = Some(id.clone());
        Ok(id)
    }

    fn find_anywhere(
        &mut self,
        w: &Write<'_>,
        level: Level,
        name: &str,
    ) -> Result<Option<AreaRef>> {
        let key = (Some("*".to_owned()), level, name.to_owned());
        if let Some(a) = self.cache.get(&key) {
            return Ok(Some(a.clone()));
        }
        let found: Option<AreaRef> = w
            .tx()
            .prepare_cached(
                "SELECT rid, id FROM areas WHERE level = ?1 AND name = ?2 ORDER BY rid LIMIT 1",
            )?
            .query_row((level.as_str(), name), |r| Ok(AreaRef { rid: r.get(0)?, id: r.get(1)? }))
            .optional()?;
        if let Some(id) = &found {
            self.cache.insert(key, id.clone());
        }
        Ok(found)
    }

    fn child(
        &mut self,
        w: &mut Write<'_>,
        parent: Option<&str>,
        level: Level,
        name: &str,
    ) -> Result<AreaRef> {
        let key = (parent.map(str::to_owned), level, name.to_owned());
        if let Some(a) = self.cache.get(&key) {
            return Ok(a.clone());
        }
        let found: Option<AreaRef> = w
            .tx()
            .prepare_cached(
                "SELECT rid, id FROM areas WHERE ifnull(parent_id, '') = ifnull(?1, '')
                 AND level = ?2 AND name = ?3",
            )?
            .query_row((parent, level.as_str(), name), |r| {
                Ok(AreaRef { rid: r.get(0)?, id: r.get(1)? })
            })
            .optional()?;
        let area = match found {
            Some(a) => a,
            None => {
                let id = area_id(parent, level, name);
                let hlc = w.stamp();
                w.tx()
                    .prepare_cached(
                        "INSERT INTO areas (id, parent_id, level, name, created_hlc, created_site)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute((&id, parent, level.as_str(), name, hlc.0, w.site_id()))?;
                self.created.push(NewArea {
                    id: id.clone(),
                    parent_id: parent.map(str::to_owned),
                    level,
                    name: name.to_owned(),
                });
                AreaRef { rid: w.tx().last_insert_rowid(), id }
            }
        };
        if level == Level::Community {
            self.cache.insert((Some("*".to_owned()), level, name.to_owned()), area.clone());
        }
        self.by_id.insert(area.id.clone(), area.rid);
        self.cache.insert(key, area.clone());
        Ok(area)
    }
}

/// The id of an area, made from its parent's id, its level and its name: two offices importing
/// rosters that name the same grid make the same node, so the address trees of every device
/// and the server are one tree without aliases.
pub fn area_id(parent: Option<&str>, level: Level, name: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a69_6179_7561_6e2d_6172_6561_7300_0001);
    let key = format!("{}|{}|{}", parent.unwrap_or(""), level.as_str(), name);
    uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string()
}

/// Areas (by `rid`, as `id`) with their street, community and grid names, for joining to
/// residents: every area, or those matching `which` (a condition on `areas`). SQLite
/// materialises the recursive view whole, so a query about one resident narrows it to that
/// resident's area rather than walk every area of the district (half a millisecond a read).
pub(crate) fn area_paths_sql(which: Option<&str>) -> String {
    let only = which.map(|w| format!("WHERE {w}")).unwrap_or_default();
    format!(
        "WITH RECURSIVE up(id, anc_level, anc_name, parent) AS (
             SELECT rid, level, name, parent_id FROM areas {only}
             UNION ALL
             SELECT up.id, a.level, a.name, a.parent_id FROM up JOIN areas a ON a.id = up.parent
         )
         SELECT id,
                max(CASE anc_level WHEN 'street' THEN anc_name END) AS street,
                max(CASE anc_level WHEN 'community' THEN anc_name END) AS community,
                max(CASE anc_level WHEN 'grid' THEN anc_name END) AS grid
         FROM up GROUP BY id"
    )
}
