-- One projection version: every read model, run with search_path set to its schema proj_v<N>.
-- Every row is a function of the set of events (no serial ids, no wall clock), so a rebuild
-- from offset 0 writes the same rows as the live sink. Valid time: [valid_from, valid_to), a
-- person is in a state at the end of day d when valid_from <= d < valid_to. Knowledge time:
-- [known_from, known_to) on the events' recorded_at; known_to NULL = still what we know.

CREATE TABLE event_archive (
    event_id        text PRIMARY KEY,  -- a copy of an event (same event_id) is dropped here
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    occurred_on     date        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    commune         text        NOT NULL,
    source          jsonb       NOT NULL,
    payload         jsonb       NOT NULL,
    context         jsonb       NOT NULL,
    accepted_at     timestamptz,
    kafka_topic     text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL
);
CREATE INDEX event_archive_occurred ON event_archive (occurred_on);

-- Which subjects an event is about, and as what (projections.fold.model.roles).
CREATE TABLE event_subjects (
    subject_id text NOT NULL,
    event_id   text NOT NULL,
    role       text NOT NULL,
    type       text NOT NULL,
    PRIMARY KEY (subject_id, event_id, role)
);
CREATE INDEX event_subjects_event ON event_subjects (event_id);

-- Records on the events topic that could not be read: kept with the error, never lost silently.
CREATE TABLE sink_rejects (
    kafka_topic     text    NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint  NOT NULL,
    error           text    NOT NULL,
    value           bytea,
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);

CREATE TABLE review_items (
    event_id        text NOT NULL,
    reason          text NOT NULL,
    type            text NOT NULL,
    commune         text,
    occurred_on     date,
    recorded_at     timestamptz,
    collector_id    text,
    rule            text NOT NULL,
    detail          text NOT NULL,
    held_at         timestamptz NOT NULL,
    submission      jsonb NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint  NOT NULL,
    PRIMARY KEY (event_id, reason)
);
CREATE INDEX review_items_commune ON review_items (commune);

CREATE TABLE persons (
    person_id          text PRIMARY KEY,
    status             text NOT NULL,  -- alive | departed | dead | merged
    merged_into        text,
    full_name          text,
    sex                text,
    birth_date         date,
    household_id       text,
    commune            text,
    relation           text,
    marital_status     text,
    mother_id          text,
    national_id        text,
    ethnicity          text,
    education          text,
    children_ever_born integer,
    entered_on         date,
    left_on            date,
    death_on           date
);
CREATE INDEX persons_household ON persons (household_id);

CREATE TABLE person_attribute_history (
    person_id  text NOT NULL,
    attribute  text NOT NULL,
    value      text NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    event_id   text NOT NULL,
    known_from timestamptz NOT NULL,
    known_to   timestamptz
);
CREATE INDEX person_attribute_history_person ON person_attribute_history (person_id);

CREATE TABLE households (
    household_id   text NOT NULL,
    event_id       text NOT NULL,
    commune        text NOT NULL,
    address        text NOT NULL,
    head_person_id text,
    registered_on  date NOT NULL,
    known_from     timestamptz NOT NULL,
    known_to       timestamptz
);
CREATE INDEX households_id ON households (household_id);

-- Where each person lived: the population, households, ages and exposure all come from here.
CREATE TABLE residence_episodes (
    person_id    text NOT NULL,
    household_id text NOT NULL,
    commune      text NOT NULL,
    relation     text,
    valid_from   date NOT NULL,
    valid_to     date,
    entry        text NOT NULL,  -- registered | birth | move_in | household_change
    exit         text,           -- death | move_out | move_in | household_change
    sex          text,
    birth_date   date,
    known_from   timestamptz NOT NULL,
    known_to     timestamptz,
    -- YYYYMMDD as an integer: completed years on day d are (d as YYYYMMDD - birth_ymd) / 10000,
    -- the same as age() (29 February birthdays on 1 March), at a fraction of its cost per row
    birth_ymd    integer GENERATED ALWAYS AS ((extract(year FROM birth_date) * 10000
                                              + extract(month FROM birth_date) * 100
                                              + extract(day FROM birth_date))::integer) STORED
);
CREATE INDEX residence_episodes_person ON residence_episodes (person_id);
CREATE INDEX residence_episodes_commune ON residence_episodes (commune, valid_from);
CREATE INDEX residence_episodes_household ON residence_episodes (household_id);

CREATE TABLE marital_episodes (
    person_id  text NOT NULL,
    status     text NOT NULL,  -- never_married | married | divorced | separated | widowed
    partner_id text,
    valid_from date NOT NULL,
    valid_to   date,
    known_from timestamptz NOT NULL,
    known_to   timestamptz
);
CREATE INDEX marital_episodes_person ON marital_episodes (person_id);

CREATE TABLE contraception_episodes (
    person_id   text NOT NULL,
    event_id    text NOT NULL,  -- the contraception.started event
    method      text NOT NULL,
    modern      boolean NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date,
    stop_reason text,
    commune     text NOT NULL,  -- where she lived when she started
    sex         text,
    known_from  timestamptz NOT NULL,
    known_to    timestamptz
);
CREATE INDEX contraception_episodes_person ON contraception_episodes (person_id);
CREATE INDEX contraception_episodes_start ON contraception_episodes (valid_from);

CREATE TABLE pregnancies (
    person_id   text NOT NULL,
    event_id    text NOT NULL,
    recorded_on date,
    expected_on date,
    ended_on    date,
    outcome     text,
    known_from  timestamptz NOT NULL,
    known_to    timestamptz
);
CREATE INDEX pregnancies_person ON pregnancies (person_id);

CREATE TABLE births (
    event_id          text NOT NULL,
    mother_id         text NOT NULL,
    child_id          text NOT NULL,
    occurred_on       date NOT NULL,  -- the child's birth date as known (corrections move it)
    sex               text NOT NULL,
    birth_order       integer NOT NULL,
    mother_birth_date date,
    mother_age        integer,
    household_id      text NOT NULL,
    commune           text NOT NULL,  -- the commune of the child's household
    plurality         integer NOT NULL,
    known_from        timestamptz NOT NULL,
    known_to          timestamptz
);
CREATE INDEX births_mother ON births (mother_id);
CREATE INDEX births_occurred ON births (occurred_on);

CREATE TABLE deaths (
    event_id     text NOT NULL,
    person_id    text NOT NULL,
    occurred_on  date NOT NULL,
    commune      text,  -- where they lived the day before (NULL: not in any population then)
    household_id text,
    sex          text,
    birth_date   date,
    age          integer,
    cause        text,
    known_from   timestamptz NOT NULL,
    known_to     timestamptz
);
CREATE INDEX deaths_person ON deaths (person_id);
CREATE INDEX deaths_occurred ON deaths (occurred_on);

-- One row per person-move: out at the origin on out_on, in at the destination on in_on.
CREATE TABLE moves (
    person_id    text NOT NULL,
    out_event_id text,
    in_event_id  text,
    from_commune text,  -- NULL unknown, or ABROAD
    to_commune   text,  -- NULL unknown, or ABROAD
    out_on       date,  -- NULL: no out-move (the person was not in the register's population)
    in_on        date,  -- NULL: no arrival recorded (a departure)
    known_from   timestamptz NOT NULL,
    known_to     timestamptz
);
CREATE INDEX moves_person ON moves (person_id);
CREATE INDEX moves_out ON moves (out_on);
CREATE INDEX moves_in ON moves (in_on);

CREATE TABLE marriages (
    event_id       text NOT NULL,
    kind           text NOT NULL,  -- marriage | divorce
    person_id      text NOT NULL,  -- the first listed person: the figure counts in their area
    partner_id     text NOT NULL,
    occurred_on    date NOT NULL,
    commune        text NOT NULL,
    child_marriage boolean,
    known_from     timestamptz NOT NULL,
    known_to       timestamptz
);
CREATE INDEX marriages_person ON marriages (person_id);
CREATE INDEX marriages_occurred ON marriages (occurred_on);

CREATE VIEW memberships AS
SELECT person_id, household_id, relation, valid_from, valid_to, known_from, known_to
FROM residence_episodes;

CREATE VIEW union_episodes AS
SELECT person_id, partner_id, valid_from, valid_to, known_from, known_to
FROM marital_episodes WHERE status = 'married';

-- Which areas a commune code counts in on each day, under this version's boundary rule
-- (projections.read.areas builds it from public.gazetteer_current). areas = {commune unit,
-- district, province, VN}: an area code of any level matches with `code = ANY(areas)`.
CREATE TABLE area_map (
    commune      text NOT NULL,
    valid_from   date NOT NULL,
    valid_until  date,  -- exclusive
    unit_commune text NOT NULL,
    district     text,
    province     text NOT NULL,
    areas        text[] NOT NULL
);
CREATE INDEX area_map_commune ON area_map (commune, valid_from);
CREATE TABLE area_map_source (load_id bigint NOT NULL);

-- Per-commune stock snapshots of what is known now (projections.read.stock_cache): a row is used
-- only while no change of its commune on or before its day separates its snapshot from the
-- reader's; store.write_units records the changes.
CREATE TABLE stock_cache (
    commune text NOT NULL,
    day     date NOT NULL,
    snap    pg_snapshot NOT NULL,  -- the snapshot the row was counted in
    snap_xmin xid8 NOT NULL,       -- pg_snapshot_xmin(snap): older changes are seen by every reader
    facts   jsonb NOT NULL,        -- {"ages": [[sex, age, n]], "households": n, "women": [[married, method, n]]}
    PRIMARY KEY (commune, day)
);
CREATE TABLE stock_changes (
    commune  text NOT NULL,
    from_day date NOT NULL,
    xid      xid8 NOT NULL  -- the writing transaction
);
CREATE INDEX stock_changes_commune ON stock_changes (commune, xid);
-- Households with residents in two communes at once (rare): their double count comes off.
CREATE TABLE split_households (household_id text PRIMARY KEY);
-- Woman-days by five-year age group per commune and month (projections.read.exposure_cache), kept
-- under the month's last day and made stale by the same stock_changes.
CREATE TABLE exposure_cache (
    commune   text NOT NULL,
    day       date NOT NULL,  -- the month's last day
    snap      pg_snapshot NOT NULL,
    snap_xmin xid8 NOT NULL,
    facts     jsonb NOT NULL,  -- [[g, days in g, days in g + 5]]
    PRIMARY KEY (commune, day)
);
