//! Tag normalisation: a roster's words resolve through `tag_aliases` to one tag; words no alias
//! knows become tags of their own, named as written.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use crate::error::Result;
use crate::write::Write;

/// The key under which a roster word is looked up: trimmed, case-folded, inner spaces removed.
pub(crate) fn alias_key(word: &str) -> String {
    word.trim().chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

#[derive(Debug, Default)]
pub(crate) struct TagResolver {
    cache: HashMap<String, (i64, String)>,
    /// Tags created by this command (key), for its operation.
    pub created: Vec<String>,
}

impl TagResolver {
    /// The tag id and key for a roster word, creating the tag when no alias knows the word.
    pub fn resolve(&mut self, w: &Write<'_>, word: &str) -> Result<(i64, String)> {
        let alias = alias_key(word);
        if let Some(hit) = self.cache.get(&alias) {
            return Ok(hit.clone());
        }
        let tx = w.tx();
        let found: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT t.id, t.key FROM tag_aliases a JOIN tags t ON t.id = a.tag_id
                 WHERE a.alias = ?1",
            )?
            .query_row([&alias], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let hit = match found {
            Some(hit) => hit,
            None => {
                let label = word.trim();
                tx.prepare_cached(
                    "INSERT INTO tags (key, label_zh, label_en) VALUES (?1, ?2, ?2)
                     ON CONFLICT (key) DO NOTHING",
                )?
                .execute((&alias, label))?;
                let id: i64 = tx
                    .prepare_cached("SELECT id FROM tags WHERE key = ?1")?
                    .query_row([&alias], |r| r.get(0))?;
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO tag_aliases (alias, tag_id) VALUES (?1, ?2)",
                )?
                .execute((&alias, id))?;
                self.created.push(alias.clone());
                (id, alias.clone())
            }
        };
        self.cache.insert(alias, hit.clone());
        Ok(hit)
    }
}

/// A tag as lists and filters show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tag {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub vulnerability: bool,
    pub residents: u64,
}

pub fn all(store: &crate::Store) -> Result<Vec<Tag>> {
    let mut stmt = store.conn().prepare(
        "SELECT t.key, t.label_zh, t.label_en, t.vulnerability,
                (SELECT count(*) FROM resident_tags rt JOIN residents r ON r.rid = rt.resident_rid
                 WHERE rt.tag_id = t.id AND r.deleted = 0)
         FROM tags t ORDER BY t.vulnerability DESC, t.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Tag {
            key: r.get(0)?,
            label_zh: r.get(1)?,
            label_en: r.get(2)?,
            vulnerability: r.get(3)?,
            residents: r.get::<_, i64>(4)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The tag id for a filter given as a key, an alias or a label.
pub(crate) fn find(store: &crate::Store, word: &str) -> Result<Option<i64>> {
    find_in(store.conn(), word)
}

pub(crate) fn find_in(conn: &rusqlite::Connection, word: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT tag_id FROM tag_aliases WHERE alias = ?1
             UNION ALL SELECT id FROM tags WHERE key = ?1 LIMIT 1",
            [alias_key(word)],
            |r| r.get(0),
        )
        .optional()?)
}
