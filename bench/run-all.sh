#!/usr/bin/env bash
# Runs every benchmark in bench/ (release build). Each prints its own figures and ratio.
set -euo pipefail
lastmile="${1:-.build/release/lastmile}"
here="$(cd "$(dirname "$0")" && pwd)"
for b in "$here"/*.sh; do
    [ "$(basename "$b")" = "run-all.sh" ] && continue
    echo "== $(basename "$b")"
    "$b" "$lastmile"
done
