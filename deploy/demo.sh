#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, then runs
# `podium demo`: the local Kafka broker (unless PODIUM_KAFKA__BOOTSTRAP_SERVERS
# names a cluster), Podium's topics, the example pipeline, the coordinator, the
# API and the example services, and one landed CSV file followed step by step.
# Extra arguments go to `podium demo` (e.g. --once: one run, then stop).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/deploy/setup.sh"
cd "$root"
exec .venv/bin/podium demo "$@"
