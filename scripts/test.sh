#!/usr/bin/env bash
# The test command. Extra arguments go to pytest, e.g. scripts/test.sh -k logs
#
#   scripts/test.sh                  lint, format check, mypy, then the whole suite: unit,
#                                    simulator flows over real HTTP, the tap's CLI and
#                                    end-to-end `meltano run` (what the README and CI run)
#   scripts/test.sh --fast           pytest only, no lint: the unit and in-process
#                                    simulator tests (-m "not cli and not e2e"), under a minute
#   scripts/test.sh --python PY ...  pytest only, in .venv-pyX.Y made for the interpreter PY
#                                    (a path or a name on PATH); add --fast for the fast tier
set -euo pipefail
cd "$(dirname "$0")/.."
FAST=(-m "not cli and not e2e")
case "${1:-}" in
  --fast)
    shift
    scripts/setup.sh
    exec .venv/bin/python -m pytest "${FAST[@]}" "$@"
    ;;
  --python)
    python="$2"
    shift 2
    scripts/setup.sh # for .venv/bin/uv, the locked one
    env=".venv-py$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    UV_PROJECT_ENVIRONMENT="$PWD/$env" UV_PYTHON_DOWNLOADS=never \
      .venv/bin/uv sync --frozen --group dev --compile-bytecode --python "$python" --quiet
    if [ "${1:-}" = --fast ]; then
      shift
      set -- "${FAST[@]}" "$@"
    fi
    exec "$env/bin/python" -m pytest "$@"
    ;;
esac
scripts/setup.sh
.venv/bin/ruff check tap_okta tests scripts
.venv/bin/ruff format --check tap_okta tests scripts
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
