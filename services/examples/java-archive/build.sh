#!/usr/bin/env bash
# Builds the Java archive service once per content of its sources, pom.xml and the schemas it
# carries, into a cache folder (the checkout stays clean), and prints that folder: it holds
# podium-java-archive.jar and lib/. Run again, it only prints the folder.
#   dir=$(bash services/examples/java-archive/build.sh) && java -jar "$dir/podium-java-archive.jar"
# Needs java (17+) and mvn. The cache is $PODIUM_JAVA_ARCHIVE_CACHE, by default
# ~/.cache/podium/java-archive.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
schemas="$here/../../../schemas"
digest=$(cd "$here" && find pom.xml src "$schemas" -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sed "s|$schemas|schemas|" | sha256sum | cut -c1-12)
cache="${PODIUM_JAVA_ARCHIVE_CACHE:-$HOME/.cache/podium/java-archive}"
out="$cache/$digest"
if [ ! -f "$out/podium-java-archive.jar" ]; then
  mkdir -p "$cache"
  staging=$(mktemp -d "$cache/build-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" "-Darchive.builddir=$staging" package >&2
  rm -rf "$staging"/{classes,generated-sources,maven-archiver,maven-status}  # keep jar and lib/
  # another build of the same content may have finished first: its jar is the same
  mv -T "$staging" "$out" 2>/dev/null || true
fi
echo "$out"
