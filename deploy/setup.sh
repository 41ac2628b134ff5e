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
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test,dev]'
  touch "$stamp"
fi
# kcat (librdkafka) produces as most non-Java clients do (CRC32 partitioner), for
# tests/integration/e2e/test_foreign_clients_e2e.py; installed when we can (root on Debian).
if ! command -v kcat >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq kcat >/dev/null \
    || echo "warning: could not install kcat; the foreign-client test will skip (fail in CI)" >&2
fi
# Prometheus (server and promtool), for tests/integration/e2e/test_prometheus_e2e.py and
# deploy/prometheus's rule tests; installed when we can (root on Debian).
if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq prometheus >/dev/null \
    || echo "warning: could not install prometheus; its tests will fail" >&2
fi
# Chromium and its driver, for the dashboard's browser tests (tests/integration/e2e/
# test_dashboard_e2e.py, through selenium); installed when we can (root on Debian).
if ! command -v chromedriver >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null \
    || echo "warning: could not install chromium; the dashboard's tests will fail" >&2
fi
# The local broker needs a JDK and Maven; install them when we can (root on Debian).
if [ -z "${PODIUM_KAFKA__BOOTSTRAP_SERVERS:-}" ]; then
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
    else
      echo "error: the local Kafka broker needs java (17+) and mvn: install them" \
           "(Debian: apt-get install openjdk-17-jre-headless maven)," \
           "or set PODIUM_KAFKA__BOOTSTRAP_SERVERS to an existing cluster" >&2
      exit 2
    fi
  fi
  # The broker's jars, cached: the default version, and 3.9 which the tests also run.
  .venv/bin/podium broker fetch
  if [ "${PODIUM_FETCH_KAFKA_39:-0}" = 1 ]; then
    .venv/bin/podium broker fetch --kafka-version 3.9.1
  fi
fi
# The Java step service (services/examples/java-archive: Avro and kafka-clients only, no Podium
# code), which tests/integration/e2e/test_java_service_e2e.py runs: built by Maven once per
# content of its sources and cached by build.sh, so a later run costs a checksum.
if command -v java >/dev/null && command -v mvn >/dev/null; then
  bash services/examples/java-archive/build.sh >/dev/null \
    || echo "warning: could not build the Java step service; its test will fail" >&2
fi
# A real Confluent-compatible Schema Registry (Apicurio Registry, deploy/schema-registry/), which
# tests/integration/e2e/test_team_events_e2e.py runs beside its local one: built by Maven once
# per content of its pom.xml and src/ and cached by build.sh (~50 s the first time).
if command -v java >/dev/null && command -v mvn >/dev/null; then
  bash deploy/schema-registry/build.sh >/dev/null \
    || echo "warning: could not build the Schema Registry; its test will fail" >&2
fi
