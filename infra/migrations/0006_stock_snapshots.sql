-- 0006 stock snapshots: the per-commune snapshot tables of projections/ddl.sql (stocks by day,
-- woman-days by month, the changes that make them stale, split households) in every projection
-- version made before them (new versions get them from ddl.sql).

DO $$
DECLARE s text;
BEGIN
    FOR s IN SELECT schema_name FROM projection_versions WHERE state <> 'dropped' LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.stock_cache (commune text NOT NULL, day date NOT NULL,
            snap pg_snapshot NOT NULL, snap_xmin xid8 NOT NULL, facts jsonb NOT NULL, PRIMARY KEY (commune, day))', s);
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.exposure_cache (commune text NOT NULL, day date NOT NULL,
            snap pg_snapshot NOT NULL, snap_xmin xid8 NOT NULL, facts jsonb NOT NULL, PRIMARY KEY (commune, day))', s);
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.stock_changes (commune text NOT NULL, from_day date NOT NULL,
            xid xid8 NOT NULL)', s);
        EXECUTE format('CREATE INDEX IF NOT EXISTS stock_changes_commune ON %I.stock_changes (commune, xid)', s);
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.split_households (household_id text PRIMARY KEY)', s);
        -- what the sink wrote before this migration: households already split
        EXECUTE format('INSERT INTO %1$I.split_households SELECT DISTINCT a.household_id
            FROM %1$I.residence_episodes AS a JOIN %1$I.residence_episodes AS b
              ON b.household_id = a.household_id AND b.commune <> a.commune AND b.known_to IS NULL
             AND a.valid_from < coalesce(b.valid_to, ''infinity''::date)
             AND b.valid_from < coalesce(a.valid_to, ''infinity''::date)
            WHERE a.known_to IS NULL ON CONFLICT DO NOTHING', s);
    END LOOP;
END $$;
