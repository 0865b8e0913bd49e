//! Builders of roster files (CSV in every encoding, xlsx, legacy xls, ods) and hostile files, so
//! tests state the quirk they exercise instead of shipping opaque binary fixtures.

mod hostile;
mod model;
mod text;
mod xls;
mod zipped;

pub use hostile::{long_line_csv, random_bytes, truncated_xlsx, zip_bomb_xlsx};
pub use model::{id_with_check, Sheet, Value, Workbook};
pub use text::{to_csv, Csv, LineEnd, TextEncoding};
pub use xls::to_xls;
pub use zipped::{to_ods, to_xlsx};
