#!/usr/bin/env bash
# The test command: lint, type-check, then the whole suite (unit, simulator
# flows over real HTTP, and end-to-end `meltano run`). Extra arguments go to
# pytest, e.g. scripts/test.sh -k logs
#
# scripts/test.sh --sdk-next [pytest args]: type-check and run the suite against
# the newest singer-sdk release, pre-releases included, in .venv-sdk-next (every
# other package as uv.lock pins it); .venv is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
case "${1:-}" in
  --sdk-next)
    shift
    scripts/sdk-next.sh
    .venv/bin/mypy --python-executable .venv-sdk-next/bin/python
    .venv-sdk-next/bin/python -m pytest "$@"
    ;;
  *)
    .venv/bin/ruff check tap_okta tests scripts benchmarks
    .venv/bin/ruff format --check tap_okta tests scripts benchmarks
    .venv/bin/mypy
    .venv/bin/python -m pytest "$@"
    ;;
esac
