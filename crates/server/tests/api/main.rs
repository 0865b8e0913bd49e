//! The sync server through HTTP, on SQLite and on PostgreSQL (a fresh database per test;
//! `JIAYUAN_TEST_DATABASE_URL` names the server, default the local one; none reachable fails).

mod audit;
mod harness;
mod push_tx;
mod retention;
mod security;
mod sync;
mod tls;
mod volunteers;
