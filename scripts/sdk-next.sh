#!/usr/bin/env bash
# .venv-sdk-next for `scripts/test.sh --sdk-next`: what uv.lock pins (runtime and
# dev group), tap-okta editable, and the newest singer-sdk, pre-releases
# included and whatever pyproject.toml's range says - the point is to hear of
# the next SDK's changes before the pin allows it. Rebuilt on every call, so
# it follows new pre-releases.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=.venv/bin/uv  # scripts/setup.sh has installed the pinned one
env=.venv-sdk-next
export UV_PYTHON_DOWNLOADS=never
if [ ! -x "$env/bin/python" ]; then
  # The interpreter .venv was made with.
  "$uv" venv --quiet --python "$(.venv/bin/python -c 'import sys; print(sys._base_executable)')" "$env"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$uv" export --frozen --quiet --group dev --no-emit-project --no-hashes --no-header \
  --output-file "$work/locked.txt"
# An override, not a requirement: it replaces both the lock's pin and
# pyproject.toml's range.
echo 'singer-sdk[msgspec]' >"$work/override.txt"
"$uv" pip install --quiet --python "$env/bin/python" --prerelease allow \
  --overrides "$work/override.txt" --requirements "$work/locked.txt" --editable . \
  --upgrade-package singer-sdk --compile-bytecode
"$env/bin/python" -c 'import importlib.metadata as m; print("singer-sdk", m.version("singer-sdk"), "in .venv-sdk-next")' >&2
