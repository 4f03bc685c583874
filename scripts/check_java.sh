#!/usr/bin/env bash
# Spark 4 needs Java 17 or newer on PATH (or under JAVA_HOME).
set -euo pipefail
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! command -v "$java_bin" >/dev/null 2>&1; then
  echo "tracklink: Java not found. Spark needs Java 17+:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless" >&2
  echo "  macOS:         brew install openjdk@17" >&2
  exit 1
fi
version=$("$java_bin" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.\([0-9]*\)\)\{0,1\}.*/\1 \3/p' | head -1)
major=${version%% *}
[[ $major == 1 ]] && major=${version##* }  # Java 8 and older say "1.8"
if [[ -z $major || $major -lt 17 ]]; then
  echo "tracklink: Java ${major:-?} found, Spark 4 needs Java 17+ (apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi
