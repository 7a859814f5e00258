#!/usr/bin/env bash
# Extraction throughput: lastmile's school-attendance extractor (release build, file → SourceRecords) against a
# plain C loop over libcsv on the same 1,000,000-row file, back to back, RUNS times each (alternating). Also
# runs our CSV layer alone (--rows-only: rows and field bytes, no records). Prints MB/s, the median ratio
# (target ≥ 0.7) and our peak RSS (target < 100 MB). MB/s are per CPU second of each process (steady on a
# shared machine); wall-clock MB/s are printed alongside. Record the figures in docs/benchmarks/extract.md.
# Usage: bench/extract.sh [RUNS]   (from the repository root; about a minute after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
WORK=bench-work
mkdir -p "$WORK"
DATA=$WORK/attendance-1m.csv
[ -s "$DATA" ] || { echo "generating $DATA (once)…" >&2; python3 bench/gen_attendance.py "$DATA" 1000000; }
cc -O2 -o "$WORK/csv_count" bench/csv_count.c -lcsv
swift build -c release --product lastmile-bench-extract 2>&1 | grep -E "error|warning:" >&2 || true
OURS=$(swift build -c release --show-bin-path)/lastmile-bench-extract
SIZE_MB=$(python3 -c "import os,sys; print(round(os.path.getsize(sys.argv[1])/1e6,1))" "$DATA")
echo "file: $DATA ($SIZE_MB MB, 1,000,000 rows), $RUNS runs each, alternating; MB/s per CPU second (wall)"
cat "$DATA" > /dev/null  # warm the page cache so every run reads from memory
field() { sed -E "s/.*$1=([0-9.]+).*/\1/"; }
C=(); O=(); R=(); RATIO=(); RRATIO=(); RSS=()
for i in $(seq 1 "$RUNS"); do
  c=$("$WORK/csv_count" "$DATA")
  o=$(/usr/bin/time -f "time_maxrss_kb=%M" "$OURS" "$DATA" 2>"$WORK/time.txt")
  r=$("$OURS" --rows-only "$DATA")
  rss=$(field time_maxrss_kb < "$WORK/time.txt" | tail -1)
  cm=$(echo "$c" | field c_cpu_mb_s); om=$(echo "$o" | field ours_cpu_mb_s); rm_=$(echo "$r" | field ours_cpu_mb_s)
  C+=("$cm"); O+=("$om"); R+=("$rm_"); RSS+=("$rss")
  RATIO+=("$(python3 -c "print(round($om/$cm,3))")"); RRATIO+=("$(python3 -c "print(round($rm_/$cm,3))")")
  echo "run $i: C $cm ($(echo "$c" | field c_wall_mb_s)) MB/s | records $om ($(echo "$o" | field ours_wall_mb_s)) MB/s," \
       "ratio ${RATIO[-1]} | CSV layer $rm_ MB/s, ratio ${RRATIO[-1]} | peak RSS $((rss / 1024)) MB"
done
python3 - "${C[*]}" "${O[*]}" "${R[*]}" "${RATIO[*]}" "${RRATIO[*]}" "${RSS[*]}" <<'PY'
import statistics as st, sys
c, o, r, ratio, rratio, rss = ([float(x) for x in a.split()] for a in sys.argv[1:7])
print(f"median: C loop {st.median(c):.0f} MB/s; ours to SourceRecords {st.median(o):.0f} MB/s, "
      f"ratio {st.median(ratio):.2f} (target >= 0.7); CSV layer alone {st.median(r):.0f} MB/s, "
      f"ratio {st.median(rratio):.2f}; peak RSS {max(rss)/1024:.0f} MB (target < 100 MB)")
PY
