-- The access report reads the reveals and exports of a period out of the whole op log.
CREATE INDEX op_log_by_kind ON op_log (district, kind, received_ms);
