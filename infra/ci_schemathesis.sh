#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (every default check and the rest:
# --checks all) against `popreg serve` on the running stack, with a bearer token made for it.
# Run by .ci/run after the tests; locally: `bash infra/ci_schemathesis.sh` with the stack up.
# Its own topics and database, so nothing it submits mixes with other data. Exit 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tag="st$(date +%s)"
export POPREG_TOPIC_PREFIX="$tag." POPREG_PG_DATABASE="popreg_$tag" POPREG_API_PORT="$port"
popreg stack up >/dev/null   # the stack runs: this only makes the topics, database and migrations
popreg gazetteer load --builtin >/dev/null
log="${POPREG_HOME:-.popreg}/logs/schemathesis-serve.log"
mkdir -p "$(dirname "$log")"
popreg serve >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break
    sleep 0.5
done
token=$(popreg token create --role operator --area VN --label schemathesis)
# Every operation of the document (POPREG_SCHEMATHESIS_PATHS narrows it, e.g. '^/v1/indicators'), but
# POST /v1/quality/compare: its body is a free-form CSV file, and any text a generator makes is a valid
# "string" that a totals file without its header rightly refuses (422); its own tests cover it.
paths="${POPREG_SCHEMATHESIS_PATHS:-^/(?!v1/quality/compare)}"
# One worker: schemathesis' coverage phase is not thread-safe under hypothesis' lambda sources.
schemathesis run "http://127.0.0.1:$port/openapi.json" --include-path-regex "$paths" \
    -H "Authorization: Bearer $token" --checks all --max-examples "${POPREG_SCHEMATHESIS_EXAMPLES:-20}" \
    --workers 1 --no-color --seed "${POPREG_SCHEMATHESIS_SEED:-1}"
