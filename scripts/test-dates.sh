#!/usr/bin/env bash
# Runs the whole suite under faketime at two dates — one year ahead, and before the sample world's as-of date
# (2026-11-20) — to prove no test depends on the day it runs (docs/architecture.md, "Time"). Installs faketime
# when missing. --no-parallel: the parallel test runner stalls under faketime.
set -euo pipefail
if ! command -v faketime >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi
swift build --build-tests
for when in '+365d' '@2026-09-01 12:00:00'; do
    echo "== swift test under faketime $when"
    faketime -f "$when" swift test --skip-build --no-parallel
done
