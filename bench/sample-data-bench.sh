#!/usr/bin/env bash
# Benchmark of the matching-world generator: `lastmile sample-data generate --benchmark` (release build) against
# a reference in the same command — copying the same bytes with `cp` (the cost of writing the files at all).
# Prints medians of RUNS runs: wall seconds, MB/s, peak RSS, and the ratio ours / cp.
#
#   bench/sample-data-bench.sh [MPI_SIZE]        (default 1000000; RUNS=3, WORK=bench-work/sample-data)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-1000000}"
RUNS="${RUNS:-3}"
WORK="${WORK:-bench-work/sample-data}"

swift build -c release --product lastmile >/dev/null
BIN="$(swift build -c release --show-bin-path)/lastmile"
mkdir -p "$WORK"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

gen_wall=(); gen_rss=(); cp_wall=()
for run in $(seq "$RUNS"); do
    rm -rf "$WORK/gen" "$WORK/copy"
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" \
        "$BIN" sample-data generate --benchmark --mpi-size "$SIZE" --seed "$run" --out "$WORK/gen" >/dev/null 2>&1
    read -r wall rss <"$WORK/time.txt"
    gen_wall+=("$wall"); gen_rss+=("$rss")
    sync
    /usr/bin/time -f "%e" -o "$WORK/time.txt" cp -r "$WORK/gen" "$WORK/copy"
    sync
    cp_wall+=("$(cat "$WORK/time.txt")")
done

bytes=$(cat "$WORK"/gen/*.csv | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
g=$(printf '%s\n' "${gen_wall[@]}" | median)
c=$(printf '%s\n' "${cp_wall[@]}" | median)
r=$(printf '%s\n' "${gen_rss[@]}" | median)
incoming=$(($(wc -l <"$WORK/gen/incoming.csv") - 1))
echo "sample-data benchmark world: MPI $SIZE, incoming $incoming, $mb MB, median of $RUNS runs"
printf "%-28s %8s %9s %12s\n" "" "wall s" "MB/s" "peak RSS MB"
printf "%-28s %8.2f %9.1f %12.1f\n" "lastmile sample-data" "$g" "$(awk -v m="$mb" -v s="$g" 'BEGIN { print m / s }')" \
    "$(awk -v k="$r" 'BEGIN { print k / 1024 }')"
printf "%-28s %8.2f %9.1f %12s\n" "cp of the same files" "$c" "$(awk -v m="$mb" -v s="$c" 'BEGIN { print (s > 0 ? m / s : 0) }')" "-"
echo "ratio lastmile / cp (wall): $(awk -v a="$g" -v b="$c" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
rm -rf "$WORK/gen" "$WORK/copy" "$WORK/time.txt"
