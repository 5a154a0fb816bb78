-- 0002 gazetteer: administrative units as dated versions (CONTRACT.md CSV), one load at a time.
-- A load only ever adds rows; the version of (commune_code, valid_from) in force is the one of
-- the latest load that carried it (view gazetteer_current). History is never rewritten.

CREATE TABLE IF NOT EXISTS gazetteer_loads (
    load_id      bigserial PRIMARY KEY,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    source       text        NOT NULL,  -- file name, or "builtin vietnamadminunits"
    content_hash text        NOT NULL,  -- sha256 of the rows the file held
    rows_added   integer     NOT NULL
);

CREATE TABLE IF NOT EXISTS gazetteer_units (
    load_id       bigint  NOT NULL REFERENCES gazetteer_loads (load_id),
    ord           integer NOT NULL,  -- row order inside its load (later rows win on overlap)
    commune_code  text    NOT NULL CHECK (commune_code ~ '^[0-9]{5}$'),
    commune_name  text    NOT NULL CHECK (commune_name <> ''),
    district_code text             CHECK (district_code ~ '^[0-9]{3}$'),
    district_name text,
    province_code text    NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    province_name text    NOT NULL CHECK (province_name <> ''),
    valid_from    date    NOT NULL,
    valid_to      date             CHECK (valid_to IS NULL OR valid_to >= valid_from),
    lat           double precision,
    lon           double precision,
    successors    text[]  NOT NULL DEFAULT '{}',  -- communes it became when it ended, main first
    PRIMARY KEY (commune_code, valid_from, load_id),
    CHECK ((district_code IS NULL) = (district_name IS NULL))
);

CREATE INDEX IF NOT EXISTS gazetteer_units_load_ord ON gazetteer_units (load_id, ord);

-- The versions in force: for each (commune_code, valid_from), the latest load's row.
CREATE OR REPLACE VIEW gazetteer_current AS
SELECT DISTINCT ON (commune_code, valid_from) *
FROM gazetteer_units
ORDER BY commune_code, valid_from, load_id DESC;

-- Old -> new commune links of every reorganisation (1 July 2025: 63 -> 34 provinces), for
-- projections that restate history in today's units.
CREATE OR REPLACE VIEW gazetteer_remap AS
SELECT u.commune_code   AS old_commune,
       s.new_commune,
       s.n = 1          AS main,
       u.valid_to + 1   AS effective_on
FROM gazetteer_current AS u
CROSS JOIN LATERAL unnest(u.successors) WITH ORDINALITY AS s (new_commune, n)
WHERE u.valid_to IS NOT NULL;
