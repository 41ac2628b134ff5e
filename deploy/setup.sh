#!/usr/bin/env bash
# Prepares a fresh machine for Podium: a virtual environment in .venv with
# Podium and its test tools, and the Kafka broker's jars (resolved by Maven).
# Safe to run again: it only does what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Podium needs Python >= 3.11 ($python is $("$python" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.podium-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test,dev]'
  touch "$stamp"
fi
# The broker's jars: skipped when an existing cluster is configured.
if [ -z "${PODIUM_KAFKA__BOOTSTRAP_SERVERS:-}" ]; then
  .venv/bin/podium broker fetch
fi
