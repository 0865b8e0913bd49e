-- A refusal's code and values as JSON (`crate::refusal::Refusal`), so the UI words it in the
-- official's language; `reason` keeps the English the server sent.
ALTER TABLE sync_outcomes ADD COLUMN refusal TEXT;
