-- 0005 live counters: snapshots of the indicator processor's counters (processors/indicators),
-- written every few seconds so the API can serve the current period's flows without counting.
-- The faust table (and its changelog) is the state; these rows are its latest materialisation.

CREATE TABLE IF NOT EXISTS live_counters (
    area       text        NOT NULL,  -- VN, a province (2 digits), district (3) or commune (5) code
    period     text        NOT NULL,  -- YYYY-MM, YYYY-Qn or YYYY
    name       text        NOT NULL,  -- a flow indicator of INDICATORS.md (births, in_migrants, ...)
    value      bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    level      text        NOT NULL CHECK (level IN ('commune', 'district', 'province', 'country')),
    PRIMARY KEY (area, period, name)
);

CREATE INDEX IF NOT EXISTS live_counters_period ON live_counters (period, level);

-- How far the counters have read the events topic (one row per source partition), and from
-- which day on their periods are complete (events before it were not counted: the SQL path
-- answers those periods).
CREATE TABLE IF NOT EXISTS live_counter_positions (
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS live_counter_meta (
    app_id     text PRIMARY KEY,
    live_from  date        NOT NULL,
    events     bigint      NOT NULL DEFAULT 0,  -- records counted (copies and voids included)
    updated_at timestamptz NOT NULL DEFAULT now()
);
