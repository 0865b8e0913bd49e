//! Hybrid logical clocks: a wall-clock millisecond with a counter, so stamps made on one device
//! always increase even when the wall clock stalls or steps back, and stamps from different
//! devices compare by (HLC, site id) for last-writer-wins.

use serde::{Deserialize, Serialize};

/// Packed as `millis << 16 | counter` in an `i64`, so SQLite compares stamps as integers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Hlc(pub i64);

const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: i64 = (1 << COUNTER_BITS) - 1;

impl Hlc {
    pub fn new(millis: i64, counter: u16) -> Hlc {
        Hlc((millis << COUNTER_BITS) | i64::from(counter))
    }
    pub fn millis(self) -> i64 {
        self.0 >> COUNTER_BITS
    }
    pub fn counter(self) -> u16 {
        // The mask keeps the value within u16, so the cast cannot truncate.
        (self.0 & COUNTER_MAX) as u16
    }

    /// The next local stamp after `last`, given the wall clock `now_ms`.
    pub fn tick(last: Hlc, now_ms: i64) -> Hlc {
        if now_ms > last.millis() {
            Hlc::new(now_ms, 0)
        } else if last.counter() < u16::MAX {
            Hlc::new(last.millis(), last.counter() + 1)
        } else {
            // 65,536 stamps in one millisecond: borrow the next millisecond rather than wrap.
            Hlc::new(last.millis() + 1, 0)
        }
    }
}

impl std::fmt::Display for Hlc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.millis(), self.counter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_stalled_wall_clock_still_gives_increasing_stamps() {
        let a = Hlc::tick(Hlc::default(), 1000);
        let b = Hlc::tick(a, 1000);
        let c = Hlc::tick(b, 900);
        assert!(a < b && b < c, "stamps must increase: {a} {b} {c}");
        assert_eq!(c.millis(), 1000, "a clock stepping back must not drag stamps back");
    }

    #[test]
    fn counter_overflow_borrows_the_next_millisecond() {
        let last = Hlc::new(5, u16::MAX);
        assert_eq!(Hlc::tick(last, 5), Hlc::new(6, 0));
    }

    proptest! {
        #[test]
        fn tick_is_strictly_monotonic(steps in proptest::collection::vec(0i64..2_000_000_000_000, 1..200)) {
            let mut last = Hlc::default();
            for now in steps {
                let next = Hlc::tick(last, now);
                prop_assert!(next > last);
                prop_assert!(next.millis() >= now.min(next.millis()));
                last = next;
            }
        }
    }
}
