#!/usr/bin/env bash
# The main job: `meltano run tap-okta target-jsonl` - against your org if
# TAP_OKTA_ORG_URL (and its credentials) are set or in .env, else against the
# bundled Okta simulator. Records land in output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
