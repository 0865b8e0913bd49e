//! Header detection: which row names the columns, and which known field each column is.
