//! The clock is passed in: nothing deep in the domain calls `now()`, so deadline, sync and
//! import tests control time exactly.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, for the app and the command line.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set and advance by hand.
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        ManualClock { millis: AtomicI64::new(t.timestamp_millis()) }
    }
    /// 2026-03-01T08:00:00Z, a Sunday in the middle of nothing special.
    pub fn fixed() -> Self {
        Self::at(Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).single().expect("valid date"))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        self.millis.store(t.timestamp_millis(), Ordering::SeqCst);
    }
    pub fn advance_ms(&self, ms: i64) {
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = self.millis.load(Ordering::SeqCst);
        Utc.timestamp_millis_opt(ms).single().expect("millis set from a valid DateTime")
    }
}
