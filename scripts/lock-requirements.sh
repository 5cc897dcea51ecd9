#!/bin/sh
# Regenerate requirements.lock: the exact versions the Docker image installs (its dependency
# layer is keyed on this file alone). Run after changing [project].dependencies in
# pyproject.toml, then commit both; `make test` fails while the lock misses a dependency.
#   bash scripts/lock-requirements.sh          (needs python3 and a package index)
# `uv pip compile --universal` resolves for every Python 3.11.x (markers included: e.g. redis
# needs async-timeout before 3.11.3), so the lock fits any python:3.11-slim base.
set -eu
cd "$(dirname "$0")/.."
if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check uv
  UV="$work/venv/bin/uv"
fi
"$UV" pip compile pyproject.toml --universal --python-version 3.11 --quiet \
  --custom-compile-command "bash scripts/lock-requirements.sh" -o requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned packages"
