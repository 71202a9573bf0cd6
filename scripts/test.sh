#!/usr/bin/env bash
# The test command. Extra arguments go to pytest, e.g. scripts/test.sh -k logs
#
#   scripts/test.sh                  lint, format check, mypy, then the whole suite: unit,
#                                    simulator flows over real HTTP, the tap's CLI and
#                                    end-to-end `meltano run` (what the README and CI run)
#   scripts/test.sh --lint           lint, format check and mypy only
#   scripts/test.sh --fast           pytest only, no lint: the unit and in-process
#                                    simulator tests (-m "not cli and not e2e"), under a minute
#   scripts/test.sh --python PY ...  pytest only, in .venv-pyX.Y made for the interpreter PY
#                                    (a path or a name on PATH); add --fast for the fast tier
#   scripts/test.sh --sdk-next ...   mypy and the suite against the newest singer-sdk release,
#                                    pre-releases included, in .venv-sdk-next (every other
#                                    package as uv.lock pins it); .venv is left as it is
#   scripts/test.sh --dist ...       build the sdist and wheel into dist/, twine check them,
#                                    and run the packaging test on them (the release's build)
#
# .github/workflows/ run these same commands (tests/test_release.py checks).
set -euo pipefail
cd "$(dirname "$0")/.."
# The fast tier is CPU-bound: one pytest-xdist worker per core of a 2-core machine
# (TAP_OKTA_FAST_WORKERS=0: one process), a test file to a worker so that its module
# fixtures (simulated orgs, the dbt build) are made once; property tests run a fifth
# of their examples (tests/conftest.py), the full suite all of them.
FAST=(-m "not cli and not e2e" -n "${TAP_OKTA_FAST_WORKERS:-2}" --dist loadfile --hypothesis-profile=fast)
# The whole suite mostly waits (rate-limit windows, Meltano starting plugins), so it
# can run on more pytest-xdist workers than cores, e.g. TAP_OKTA_TEST_WORKERS=4; a
# test file stays on one worker (its module fixtures are set up once). One process
# by default until a parallel run has passed whole (CONTRIBUTING.md, Tests).
PARALLEL=(-n "${TAP_OKTA_TEST_WORKERS:-0}" --dist loadfile)
lint() {
  .venv/bin/ruff check tap_okta tests scripts benchmarks
  .venv/bin/ruff format --check tap_okta tests scripts benchmarks
  .venv/bin/mypy
}
scripts/setup.sh
# pytest caches its assertion rewriting of the test modules and of its plugins' packages
# (the SDK's, hypothesis') as bytecode; with PYTHONDONTWRITEBYTECODE set it redoes it in
# every process, about 7 s of CPU each. __pycache__/ is ignored by git.
unset PYTHONDONTWRITEBYTECODE
case "${1:-}" in
  --lint)
    lint
    ;;
  --fast)
    shift
    exec .venv/bin/python -m pytest "${FAST[@]}" "$@"
    ;;
  --python)
    python="$2"
    shift 2
    env=".venv-py$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    # .venv/bin/uv is the locked one (scripts/setup.sh).
    UV_PROJECT_ENVIRONMENT="$PWD/$env" UV_PYTHON_DOWNLOADS=never \
      .venv/bin/uv sync --frozen --group dev --compile-bytecode --python "$python" --quiet
    if [ "${1:-}" = --fast ]; then
      shift
      set -- "${FAST[@]}" "$@"
    else
      set -- "${PARALLEL[@]}" "$@"
    fi
    exec "$env/bin/python" -m pytest "$@"
    ;;
  --sdk-next)
    shift
    scripts/sdk-next.sh
    .venv/bin/mypy --python-executable .venv-sdk-next/bin/python
    exec .venv-sdk-next/bin/python -m pytest "${PARALLEL[@]}" "$@"
    ;;
  --dist)
    shift
    rm -rf dist
    # The sdist, then the wheel built from it (uv build's default): what PyPI gets.
    UV_PYTHON_DOWNLOADS=never .venv/bin/uv build --python .venv/bin/python --out-dir dist
    .venv/bin/twine check --strict dist/*
    TAP_OKTA_DIST="$PWD/dist" exec .venv/bin/python -m pytest tests/test_packaging.py "$@"
    ;;
  *)
    lint
    exec .venv/bin/python -m pytest "${PARALLEL[@]}" "$@"
    ;;
esac
