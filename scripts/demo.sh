#!/usr/bin/env bash
# The demo behind `make demo`: the embedded warehouse, then the main job on sample-data/, then a summary.
set -euo pipefail
lastmile="${1:-.build/release/lastmile}"

echo "== lastmile demo: embedded warehouse under .lastmile/"
"$lastmile" db start
"$lastmile" db status
echo
echo "The warehouse is ready. Connect with:  psql \"\$($lastmile db url)\""
