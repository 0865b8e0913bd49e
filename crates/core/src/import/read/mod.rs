//! Opening a roster file: find its real format from its bytes and stream its rows.
