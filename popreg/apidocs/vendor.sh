#!/usr/bin/env bash
# Rebuild popreg/apidocs/static from npm (run by hand when upgrading; the files are committed).
set -euo pipefail
SWAGGER=5.35.0   # swagger-ui-dist, Apache-2.0
REDOC=2.5.4      # redoc, MIT (3.x bundles need a module script; FastAPI's page loads a classic one)
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack "swagger-ui-dist@$SWAGGER" "redoc@$REDOC" --silent >/dev/null
mkdir sw rd
tar xzf "swagger-ui-dist-$SWAGGER.tgz" -C sw
tar xzf "redoc-$REDOC.tgz" -C rd
out="$here/static"
mkdir -p "$out"
cp sw/package/swagger-ui-bundle.js sw/package/swagger-ui.css sw/package/favicon-32x32.png "$out/"
cp sw/package/LICENSE "$out/swagger-ui-LICENSE.txt"
cp sw/package/NOTICE "$out/swagger-ui-NOTICE.txt"
# ReDoc fetches its "by Redocly" logo from cdn.redoc.ly: the page must work offline, so no logo.
sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E#' \
  rd/package/bundles/redoc.standalone.js > "$out/redoc.standalone.js"
grep -q "cdn.redoc.ly" "$out/redoc.standalone.js" && { echo "redoc still points at its CDN" >&2; exit 1; }
cp rd/package/LICENSE "$out/redoc-LICENSE.txt"
echo "vendored swagger-ui-dist $SWAGGER and redoc $REDOC into $out"
