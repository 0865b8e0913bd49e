//! Builders of roster files (CSV in every encoding, xlsx, legacy xls, ods), realistic rosters
//! of any size and hostile files, so tests state the quirk they exercise instead of shipping
//! opaque binary fixtures; and certificates for the TLS tests ([`TestCa`]).
//!
//! Build a [`Sheet`] (or a [`Workbook`] of several), then write it with [`to_csv`],
//! [`to_xlsx`], [`to_xls`] or [`to_ods`]. Writers panic on what the format cannot hold (a
//! character GBK lacks, a 257th column in xls): a fixture that cannot be written is a bug in
//! the test, better reported at once.

mod bomb;
mod cfb;
mod csv;
mod generate;
mod hostile;
mod model;
mod ods;
mod pki;
mod roster;
mod xls;
mod xlsx;

pub use bomb::{zip_bomb, zip_bomb_lying_xlsx, zip_bomb_xlsx, BombFill, ZipBomb};
pub use csv::{to_csv, Csv, LineEnd, TextEncoding};
pub use generate::{check_char, id_with_check};
pub use hostile::{
    encrypted_xls, encrypted_xlsx, garbage_with_magic, long_line_csv, random_bytes, truncated_xlsx,
    xls_huge_dimensions, xls_looping_directory,
};
pub use model::{Sheet, Value, Workbook};
pub use ods::to_ods;
pub use pki::{ServerCert, TestCa};
pub use roster::{realistic_roster, write_roster_csv, RosterOptions, RosterSummary, ROSTER_HEADER};
pub use xls::{to_xls, to_xls_with, Xls, XlsNumbers, XlsStrings};
pub use xlsx::{to_xlsx, to_xlsx_with, Xlsx};
