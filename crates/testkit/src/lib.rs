//! Builders of roster files (CSV in every encoding, xlsx, legacy xls, ods) and hostile files, so
//! tests state the quirk they exercise instead of shipping opaque binary fixtures.
