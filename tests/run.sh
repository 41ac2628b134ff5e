#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, then runs
# unit and integration tests against a real Kafka broker (see tests/conftest.py
# for how the broker is chosen). Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PODIUM_FETCH_KAFKA_39=1 bash "$root/deploy/setup.sh"
cd "$root"
exec .venv/bin/python -m pytest "$@"
