#!/usr/bin/env bash
# One-time set-up shared by demo.sh and test.sh: a virtualenv in .venv with
# exactly what uv.lock pins - tap-okta (editable), its runtime dependencies and
# the dev group (test tools, Meltano, uv itself). Re-syncs only when
# pyproject.toml or uv.lock changes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with the uv pin in pyproject.toml's dev group (tests/test_consistency.py checks).
UV_VERSION=0.13.9

PYTHON="${PYTHON:-python3}"
# Keep in step with requires-python in pyproject.toml (tests/test_release.py checks).
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "tap-okta needs Python 3.11 or newer; set PYTHON=/path/to/python3.x" >&2
  exit 1
fi
stamp=".venv/.synced-$("$PYTHON" -c '
import hashlib
digest = hashlib.sha1()
for name in ("pyproject.toml", "uv.lock"):
    digest.update(open(name, "rb").read())
print(digest.hexdigest()[:12])
')"
# tap-okta's own modules as bytecode, as a first run writes them where
# PYTHONDONTWRITEBYTECODE is unset (an editable install is never compiled);
# stale files are ignored by Python. Each start then skips compiling them.
compile_tap() {
  .venv/bin/python -m compileall -q tap_okta >/dev/null
}
if [ -f "$stamp" ]; then
  compile_tap
  exit 0
fi

# The uv that syncs: .venv's own once it is the pinned one (it comes from the
# lock), else the pinned release bootstrapped from PyPI into a throwaway venv.
uv=.venv/bin/uv
if [ ! -x "$uv" ] || [[ "$("$uv" --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
  echo "Installing uv $UV_VERSION (from PyPI, to set up .venv) ..." >&2
  boot="$(mktemp -d)"
  trap 'rm -rf "$boot"' EXIT
  "$PYTHON" -m venv "$boot/venv"
  "$boot/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  uv="$boot/venv/bin/uv"
fi

echo "Installing tap-okta, its test tools and Meltano into .venv (uv sync --frozen) ..." >&2
# What the setuptools builds before hatchling left in a checkout: on sys.path from
# the repository root, it would show its old version beside the installed one.
rm -rf tap_okta.egg-info
# Into .venv whatever the caller's uv settings; never fetch a Python build: a
# new .venv gets $PYTHON, an existing one keeps its own.
export UV_PROJECT_ENVIRONMENT="$PWD/.venv" UV_PYTHON_DOWNLOADS=never
python_args=()
if [ ! -x .venv/bin/python ]; then
  python_args=(--python "$("$PYTHON" -c 'import sys; print(sys.executable)')")
fi
# --compile-bytecode: what pip does on install and uv does not by default;
# without it every start of the tap compiles the SDK's modules again (about
# 0.7 s of a 1.2 s start-up here, with PYTHONDONTWRITEBYTECODE set).
"$uv" sync --frozen --group dev --compile-bytecode ${python_args[@]+"${python_args[@]}"} --quiet
compile_tap
rm -f .venv/.installed-* .venv/.synced-*
touch "$stamp"
