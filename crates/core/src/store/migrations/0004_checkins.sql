-- Welfare check-ins: rules that make recurring requests from residents' tags, and their own
-- deadlines (policy rows for the welfare_check category: the call made the same day).

CREATE TABLE checkin_rules (
    key           TEXT PRIMARY KEY,
    tag           TEXT NOT NULL,
    category      TEXT NOT NULL,
    every         TEXT NOT NULL CHECK (every IN ('day', 'week')),
    lockdown_only INTEGER NOT NULL DEFAULT 0,
    description   TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
) STRICT;

INSERT INTO checkin_rules (key, tag, category, every, lockdown_only, description) VALUES
    ('elderly_alone_daily', 'elderly_alone', 'welfare_check', 'day', 1,
     '每日电话问候独居老人：身体、饮食、药品是否需要帮助'),
    ('disabled_weekly', 'disabled', 'welfare_check', 'week', 0,
     '每周探访残疾人：生活、康复、出行是否需要帮助');

INSERT INTO sla_policies (category, priority, mode, policy) VALUES
    ('welfare_check', 'normal', 'normal',
     '{"accept":{"minutes":{"minutes":120,"counting":"business"}},"first_response":{"minutes":{"minutes":240,"counting":"business"}},"resolution":{"working_days":1}}'),
    ('welfare_check', 'normal', 'lockdown',
     '{"accept":{"minutes":{"minutes":120,"counting":"continuous"}},"first_response":{"minutes":{"minutes":240,"counting":"continuous"}},"resolution":{"minutes":{"minutes":480,"counting":"continuous"}}}');
