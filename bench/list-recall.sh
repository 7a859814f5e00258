#!/usr/bin/env bash
# List recall and list precision end to end (issue 15, item 5; docs/benchmarks.md): for each world, generate it
# with its truth, run the night and the Monday lists in a private working directory with its own embedded
# warehouse, and score the lists against the truth with bench/list_recall.py.
#
#   bench/list-recall.sh [path/to/lastmile]   (WORLDS="generator:people:seed:as-of ..." to choose the worlds)
#
# generator `ours` is `lastmile sample-data generate --truth`; `independent` is bench/gen_feed_world.py (Python
# and Faker, in a virtualenv this script makes), whose worlds hold the two school sources only.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lastmile="$(realpath "${1:-$repo/.build/release/lastmile}")"
work="${WORK:-$repo/bench-work/list-recall}"
# Ours at the committed world's size and seed and at a larger size, seed and date; then the independent one.
worlds="${WORLDS:-ours:300:20261120:2026-11-20 ours:6000:7:2026-12-11 independent:6000:1:2026-12-04}"
venv="$repo/.build/bench-world-venv"

monday_after() { # the Monday after a date (the list's reporting week)
    python3 -c "import datetime,sys; d=datetime.date.fromisoformat(sys.argv[1]); \
print(d + datetime.timedelta(days=7 - d.weekday()))" "$1"
}

for world in $worlds; do
    IFS=: read -r generator people seed as_of <<<"$world"
    dir="$work/$generator-$people-s$seed"
    week="$(monday_after "$as_of")"
    rm -rf "$dir" && mkdir -p "$dir"
    cp -r "$repo/pipelines" "$repo/scripts" "$dir/"
    (
        cd "$dir"
        if [ "$generator" = independent ]; then
            [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q Faker; }
            "$venv/bin/python" "$repo/bench/gen_feed_world.py" --people "$people" --seed "$seed" --as-of "$as_of" \
                --out . >/dev/null
            # Only the two school sources exist in that world.
            sed -i '/^  - coc-hmis$/d; /^  - county-jail$/d; /^  - ce-by-name-list$/d' pipelines/nightly.yaml
        else
            "$lastmile" sample-data generate --people "$people" --seed "$seed" --as-of "$as_of" --out sample-data \
                --truth >/dev/null 2>&1
        fi
        "$lastmile" db start >/dev/null 2>&1
        trap '"$lastmile" db stop >/dev/null 2>&1 || true' EXIT
        status=0
        "$lastmile" run pipelines/nightly.yaml --as-of "$as_of" >run.out 2>run.err || status=$?
        if [ "$status" -ne 0 ]; then echo "the night exited $status:" >&2; tail -3 run.err >&2; exit 1; fi
        "$lastmile" report absenteeism --week-of "$week" --as-of "$week" --all-practices --log-format json \
            >/dev/null 2>&1 || true
        echo "== $generator world: $people people, seed $seed, as of $as_of, lists of the week of $week"
        python3 "$repo/bench/list_recall.py" "$dir" --lastmile "$lastmile" --db-url "$("$lastmile" db url)" \
            --week "$week"
    )
done
