-- 0004 projections: the control tables of versioned read models (projections/versions.py).
-- The read models themselves live in one schema per version, proj_v<N>, created from
-- projections/ddl.sql by the code (a new projection version is a new schema, not a migration).

CREATE TABLE IF NOT EXISTS projection_versions (
    version      integer PRIMARY KEY,
    schema_name  text        NOT NULL UNIQUE,
    rules        jsonb       NOT NULL,  -- projections.rules.Rules of this version
    state        text        NOT NULL CHECK (state IN ('building', 'ready', 'live', 'retired', 'dropped')),
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    caught_up_at timestamptz,
    swapped_at   timestamptz,
    dropped_at   timestamptz
);

-- Which version readers use. Swapping is one UPDATE of this row: atomic for every reader,
-- each of which resolves the schema through it inside its own transaction.
CREATE TABLE IF NOT EXISTS projection_live (
    name    text PRIMARY KEY,
    version integer NOT NULL REFERENCES projection_versions (version)
);

-- The sink's position: rows and offsets commit in one transaction (exactly-once effect).
CREATE TABLE IF NOT EXISTS projection_offsets (
    projection  text    NOT NULL,
    version     integer NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, version, topic, partition)
);
