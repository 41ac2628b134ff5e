#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, starts the local
# Kafka broker (unless PODIUM_KAFKA__BOOTSTRAP_SERVERS names a cluster),
# applies Podium's topics and shows their state.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/deploy/setup.sh"
cd "$root"
podium=.venv/bin/podium
if [ -z "${PODIUM_KAFKA__BOOTSTRAP_SERVERS:-}" ]; then
  "$podium" broker start
fi
"$podium" topics apply topics/
"$podium" topics list topics/
echo
echo "Stop the local broker with: .venv/bin/podium broker stop"
