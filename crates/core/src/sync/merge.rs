//! The merge of two copies of a row, field by field: the later stamp wins (HLC, then site id).
//! The same function runs on the server when an op arrives and on a device that replays its
//! pending writes over a pulled copy, so both sides decide alike.

use serde_json::Value;

use super::wire::{Row, Stamp};

/// A value that lost: which field, what it was, who wrote it, and what replaced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Overwrite {
    pub field: String,
    pub lost: Value,
    pub lost_stamp: Stamp,
    pub won: Value,
    pub won_stamp: Stamp,
    /// True when the incoming value lost (the stored one was later).
    pub incoming_lost: bool,
}

/// Merges `incoming` into `stored` for every field not in `skip`, returning the merged row
/// and the values each side lost where the two differ. Fields absent from `incoming` are kept.
pub fn lww(stored: &Row, incoming: &Row, skip: &[&str]) -> (Row, Vec<Overwrite>) {
    let mut out = stored.clone();
    let mut lost = Vec::new();
    for (field, value) in &incoming.fields {
        if skip.contains(&field.as_str()) {
            continue;
        }
        let theirs = incoming.stamp(field);
        let ours = stored.stamp(field);
        let current = stored.fields.get(field).cloned().unwrap_or(Value::Null);
        if theirs > ours {
            if &current != value && ours.site() != theirs.site() {
                lost.push(Overwrite {
                    field: field.clone(),
                    lost: current,
                    lost_stamp: ours.clone(),
                    won: value.clone(),
                    won_stamp: theirs.clone(),
                    incoming_lost: false,
                });
            }
            out.fields.insert(field.clone(), value.clone());
            set_stamp(&mut out, field, theirs.clone());
        } else if theirs < ours && &current != value && ours.site() != theirs.site() {
            lost.push(Overwrite {
                field: field.clone(),
                lost: value.clone(),
                lost_stamp: theirs.clone(),
                won: current,
                won_stamp: ours.clone(),
                incoming_lost: true,
            });
        }
    }
    if incoming.deleted && incoming.stamp("deleted") >= stored.stamp("deleted") {
        out.deleted = true;
    }
    (out, lost)
}

/// Records a field's stamp, leaving it implicit when it equals the creation stamp.
pub fn set_stamp(row: &mut Row, field: &str, stamp: Stamp) {
    if stamp == row.created {
        row.stamps.remove(field);
    } else {
        row.stamps.insert(field.to_owned(), stamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn row(fields: &[(&str, i64, &str, i64)]) -> Row {
        let mut r = Row::new("resident", "r1", Stamp(0, "s0".into()));
        for (f, v, site, hlc) in fields {
            r.set(f, json!(v));
            r.stamps.insert((*f).to_owned(), Stamp(*hlc, (*site).to_owned()));
        }
        r
    }

    #[test]
    fn the_later_stamp_wins_and_the_loser_is_reported() {
        let stored = row(&[("name", 1, "a", 10), ("phone", 1, "a", 30)]);
        let incoming = row(&[("name", 2, "b", 20), ("phone", 2, "b", 25)]);
        let (merged, lost) = lww(&stored, &incoming, &[]);
        assert_eq!(merged.fields["name"], json!(2));
        assert_eq!(merged.fields["phone"], json!(1));
        assert_eq!(lost.len(), 2);
        assert!(!lost[0].incoming_lost && lost[1].incoming_lost);
    }

    proptest! {
        /// Merging is commutative and idempotent on the values: devices that merged the same
        /// copies in any order hold the same row.
        #[test]
        fn merge_order_does_not_matter(
            a in proptest::collection::vec((0i64..4, 0i64..50), 3),
            b in proptest::collection::vec((0i64..4, 0i64..50), 3),
        ) {
            let names = ["x", "y", "z"];
            let ra = row(&names.iter().zip(&a).map(|(n, (v, h))| (*n, *v, "a", *h)).collect::<Vec<_>>());
            let rb = row(&names.iter().zip(&b).map(|(n, (v, h))| (*n, *v, "b", *h)).collect::<Vec<_>>());
            let ab = lww(&ra, &rb, &[]).0;
            let ba = lww(&rb, &ra, &[]).0;
            prop_assert_eq!(&ab.fields, &ba.fields);
            prop_assert_eq!(&lww(&ab, &rb, &[]).0.fields, &ab.fields);
        }
    }
}
