#!/usr/bin/env bash
# The main job: `meltano run tap-okta target-duckdb` - against your org if
# TAP_OKTA_ORG_URL (and its credentials) are set or in .env, else against the
# bundled Okta simulator - then SQL answers from the DuckDB file it loaded
# (output/org.duckdb, or output/simulator.duckdb for the simulator).
# --jsonl: load into output/*.jsonl with target-jsonl instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p output
# pip's messages of the one-time set-up go to output/setup.log.
if ! scripts/setup.sh 2>&1 | tee output/setup.log | { grep --line-buffered '^Installing' || true; }; then
  echo "scripts/setup.sh failed; its output (output/setup.log):" >&2
  cat output/setup.log >&2
  exit 1
fi
exec .venv/bin/python scripts/demo.py "$@"
