#!/usr/bin/env bash
# List recall and list precision end to end (issue 15, item 5; docs/benchmarks.md): for each world, generate it
# with its truth, run the night and the Monday lists in a private working directory with its own embedded
# warehouse, and score the lists against the truth with bench/list_recall.py.
#
#   bench/list-recall.sh [path/to/lastmile]        (WORLDS="people:seed:as-of ..." to choose the worlds)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lastmile="$(realpath "${1:-$repo/.build/release/lastmile}")"
work="${WORK:-$repo/bench-work/list-recall}"
# Two worlds unlike each other: the committed world's size and seed, and a larger one with another seed and date.
worlds="${WORLDS:-300:20261120:2026-11-20 6000:7:2026-12-11}"

monday_after() { # the Monday after a date (the list's reporting week)
    python3 -c "import datetime,sys; d=datetime.date.fromisoformat(sys.argv[1]); \
print(d + datetime.timedelta(days=7 - d.weekday()))" "$1"
}

for world in $worlds; do
    IFS=: read -r people seed as_of <<<"$world"
    dir="$work/w$people-s$seed"
    week="$(monday_after "$as_of")"
    rm -rf "$dir" && mkdir -p "$dir"
    cp -r "$repo/pipelines" "$repo/scripts" "$dir/"
    (
        cd "$dir"
        "$lastmile" sample-data generate --people "$people" --seed "$seed" --as-of "$as_of" --out sample-data \
            --truth >/dev/null 2>&1
        "$lastmile" db start >/dev/null 2>&1
        trap '"$lastmile" db stop >/dev/null 2>&1 || true' EXIT
        status=0
        "$lastmile" run pipelines/nightly.yaml --as-of "$as_of" >run.out 2>run.err || status=$?
        if [ "$status" -ne 0 ]; then echo "the night exited $status:" >&2; tail -3 run.err >&2; exit 1; fi
        "$lastmile" report absenteeism --week-of "$week" --as-of "$week" --all-practices --log-format json \
            >/dev/null 2>&1 || true
        echo "== world: $people people, seed $seed, as of $as_of, lists of the week of $week"
        python3 "$repo/bench/list_recall.py" "$dir" --lastmile "$lastmile" --db-url "$("$lastmile" db url)" \
            --week "$week"
    )
done
