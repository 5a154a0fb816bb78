-- 0001 base: settings of the register's database shared by every later migration.
-- schema_migrations itself is created by infra/migrate.py (it must exist before any file runs).

-- Facts about this database: which Kafka cluster fed it, which gazetteer version, etc.
-- (a projection kept beside a re-created broker would otherwise hold offsets of another log).
CREATE TABLE IF NOT EXISTS app_meta (
    key        text PRIMARY KEY,
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO app_meta (key, value) VALUES ('schema', 'popreg')
ON CONFLICT (key) DO NOTHING;
