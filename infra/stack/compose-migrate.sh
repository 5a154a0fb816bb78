#!/bin/bash
# Applies infra/migrations/NNNN_name.sql in order inside the docker-compose `migrate` job, each
# file and its schema_migrations record in one transaction, as infra/migrate.py does (same table,
# same sha256 checksum), so `popreg` sees a compose database as migrated.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -q <<'SQL'
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
SQL
for f in "${MIGRATIONS_DIR:-/migrations}"/[0-9][0-9][0-9][0-9]_*.sql; do
    base=$(basename "$f" .sql)
    version=$((10#${base:0:4}))
    name=${base:5}
    if [ "$(psql -tAq -c "SELECT 1 FROM schema_migrations WHERE version = $version")" = "1" ]; then
        continue
    fi
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    { cat "$f"; printf '\n;INSERT INTO schema_migrations (version, name, checksum) VALUES (%d, %s, %s);\n' \
        "$version" "'$name'" "'$sum'"; } | psql -v ON_ERROR_STOP=1 -q --single-transaction -f -
    echo "applied $base"
done
