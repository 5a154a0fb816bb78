#!/usr/bin/env bash
# Headless Chromium from Debian's packages and the Python Playwright driver, for the dashboard's
# browser tests and bench (Playwright's own browser download cannot work on a closed network,
# so tests launch /usr/bin/chromium through `executable_path`). Idempotent; safe to run again.
# Usage: bash infra/install_browser.sh   (inside the project's venv; root only if chromium is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is missing: run as root, or 'apt-get install -y chromium' first" >&2
        exit 1
    fi
    echo "installing chromium from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

# The pinned Playwright of pyproject's `browser` extra (its driver ships inside the wheel).
# Into the active venv, else the project's .venv (never the machine's own Python).
py=python
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then py=.venv/bin/python; fi
"$py" -m pip install -q --disable-pip-version-check -e '.[browser]'
"$py" - <<'PY'
import playwright
from importlib.metadata import version
print(f"playwright {version('playwright')} ready; chromium at /usr/bin/chromium")
PY
