-- A push looks its ops up in the op log by ranges of op ids (UUIDv7, so a batch's ids are
-- usually one range) and decides in Rust which ids a range covers, so the range must be in
-- byte order whatever the database's collation.
CREATE INDEX op_log_by_op_id_bytes ON op_log (district, op_id COLLATE "C");
