#!/usr/bin/env bash
# The test command: lint, type-check, then the whole suite (unit, simulator
# flows over real HTTP, and end-to-end `meltano run`). Extra arguments go to
# pytest, e.g. scripts/test.sh -k logs
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check tap_okta tests scripts
.venv/bin/ruff format --check tap_okta tests scripts
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
