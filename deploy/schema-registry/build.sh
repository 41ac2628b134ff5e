#!/usr/bin/env bash
# Builds the Schema Registry (Apicurio Registry, see pom.xml) once per content of pom.xml and
# src/, into a cache folder (the checkout stays clean), and prints that folder: it holds
# podium-schema-registry-1-runner.jar and lib/. Run again, it only prints the folder.
# Needs java (17+) and mvn; a first build fetches ~200 MB from Maven Central (about 50 s).
# The cache is $PODIUM_SCHEMA_REGISTRY_CACHE, by default ~/.cache/podium/schema-registry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
digest=$(cd "$here" && find pom.xml src -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-12)
cache="${PODIUM_SCHEMA_REGISTRY_CACHE:-$HOME/.cache/podium/schema-registry}"
out="$cache/$digest"
if [ ! -f "$out/podium-schema-registry-1-runner.jar" ]; then
  mkdir -p "$cache"
  staging=$(mktemp -d "$cache/build-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" "-Dregistry.builddir=$staging" package >&2
  find "$staging" -mindepth 1 -maxdepth 1 ! -name lib ! -name '*-runner.jar' -exec rm -rf {} +
  # another build of the same content may have finished first: its jar is the same
  mv -T "$staging" "$out" 2>/dev/null || true
fi
echo "$out"
