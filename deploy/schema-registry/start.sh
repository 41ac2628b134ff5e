#!/usr/bin/env bash
# Runs the Schema Registry in the foreground (building it first if needed, see build.sh):
#   bash deploy/schema-registry/start.sh [PORT] [DATA_DIR]
# It listens on 127.0.0.1:PORT (default 8081) with its Confluent-compatible API at
#   http://127.0.0.1:PORT/apis/ccompat/v7   (PODIUM_SCHEMA_REGISTRY__URL)
# and no authentication. Its schemas live in memory, or in an H2 database under DATA_DIR when
# given (kept across restarts). Ready when GET .../apis/ccompat/v7/subjects answers 200.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${1:-8081}"
dir=$(bash "$here/build.sh")
database=()
if [ -n "${2:-}" ]; then
  mkdir -p "$2"
  database=("-DREGISTRY_DATASOURCE_URL=jdbc:h2:file:$(cd "$2" && pwd)/registry")
fi
# C1 only and a small heap: it starts in ~4 s and stays near 300 MB
exec java -Xmx384m -XX:TieredStopAtLevel=1 -Dquarkus.http.host=127.0.0.1 \
  "-Dquarkus.http.port=$port" "${database[@]}" -jar "$dir/podium-schema-registry-1-runner.jar"
