#!/usr/bin/env bash
# The demo behind `make demo`: the embedded warehouse, then the nightly run on sample-data/, then a summary.
set -euo pipefail
lastmile="${1:-.build/release/lastmile}"
as_of=2026-11-20   # the date the committed sample world was generated for (sample-data/README.md)

echo "== 1. embedded warehouse under .lastmile/"
"$lastmile" db start
echo
echo "== 2. the nightly run on sample-data/ (pipelines/nightly.yaml, as of $as_of)"
"$lastmile" run pipelines/nightly.yaml --as-of "$as_of"
echo
echo "== 3. the run ledger"
"$lastmile" runs --last 3
echo
echo "Done. The warehouse stays up; explore it with:  psql \"\$($lastmile db url)\""
echo "Re-running the demo changes nothing (inputs already loaded are skipped). 'make clean-demo' removes it."
