//! Judging one roster row: normalise its cells, apply the rules in the order the spec gives.
