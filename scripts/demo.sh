#!/usr/bin/env bash
# The demo behind `make demo`: the embedded warehouse, the nightly run on sample-data/, then Monday's lists.
set -euo pipefail
lastmile="${1:-.build/release/lastmile}"
as_of=2026-11-20    # the date the committed sample world was generated for (sample-data/README.md)
monday=2026-11-23   # the Monday after it

echo "== 1. embedded warehouse under .lastmile/"
"$lastmile" db start
echo
echo "== 2. the nightly run on sample-data/ (pipelines/nightly.yaml, as of $as_of)"
"$lastmile" run pipelines/nightly.yaml --as-of "$as_of"
echo
echo "== 3. the run ledger"
"$lastmile" runs --last 3
echo
echo "== 4. Monday's chronic-absenteeism lists (pipelines/monday-absenteeism.yaml, week of $monday)"
"$lastmile" report absenteeism --week-of "$monday" --as-of "$monday" --all-practices
echo
echo "Lists for each practice are under outbox/PRACTICE/$monday/ (CSV for Excel, HTML to print)."
find outbox -path "*$monday*" -type f 2>/dev/null | sort | sed 's/^/  /'
echo
echo "Done. The warehouse stays up; explore it with:  psql \"\$($lastmile db url)\""
echo "Re-running the demo changes nothing (inputs already loaded are skipped). 'make clean-demo' removes it."
