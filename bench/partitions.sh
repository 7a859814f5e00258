#!/usr/bin/env bash
# Years of data (issue 19, item 4): three school years of a PEOPLE-person world in the partitioned warehouse.
#
# 1. The sample world of 2026-27 (as of 2026-11-20), and the two school years before it: both districts'
#    attendance files again with every date 364 and 728 days earlier (same weekdays), so the same students have
#    three years of attendance (2024-25, 2025-26, 2026-27); the HMIS, jail and housing files are the current ones.
# 2. Night 1 (as of 2026-11-20) loads all three years into a fresh embedded warehouse: stage times from the
#    JSON summary, rows per partition.
# 3. The reference: DELETE of the oldest year's rows (attendance days and bed nights before 2025-07-01), timed in a
#    transaction that is rolled back.
# 4. Night 2 (as of 2026-11-21, no new files) with `retention_school_years: 2` in every source: the retention stage
#    drops the 2024-25 partitions; its time and counts from the JSON summary.
# 5. The flags' attendance read of one school year (EXPLAIN ANALYZE): partitions scanned and time, against the
#    same read without the school-year window.
#
# Usage: bench/partitions.sh [path/to/lastmile]      (PEOPLE, default 100000; WORK, default bench-work/partitions;
#        PREPARE_ONLY=1 to stop after the data)
set -euo pipefail
lastmile="$(realpath "${1:-.build/release/lastmile}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${WORK:-$root/bench-work/partitions}"
people="${PEOPLE:-100000}"
as_of=2026-11-20
mkdir -p "$work"
cd "$work"
echo "partitions benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lastmile: $lastmile; --people $people"

# 1. The world and its two earlier school years.
stamp="people=$people seed=20261120 as-of=$as_of years=3"
if [ "$(cat data/.params 2>/dev/null)" != "$stamp" ]; then
    rm -rf data
    "$lastmile" sample-data generate --people "$people" --seed 20261120 --as-of "$as_of" --out data 2>/dev/null
    python3 - data/inbox <<'PY'
import csv, datetime, pathlib, sys
inbox = pathlib.Path(sys.argv[1])
# The attendance date's column in each district's layout.
files = {"riverside-usd/attendance-2026-11-20.csv": "attendance_date",
         "lakeside-edfi/attendance-events-2026-11-20.csv": "EventDate"}
for name, column in files.items():
    source = inbox / name
    for years_back in (1, 2):
        shift = datetime.timedelta(days=364 * years_back)
        target = source.with_name(source.name.replace("2026-11-20", f"{2026 - years_back}-11-20"))
        with source.open(newline="") as f, target.open("w", newline="") as out:
            rows = csv.reader(f)
            header = next(rows)
            at = header.index(column)
            w = csv.writer(out, lineterminator="\n")
            w.writerow(header)
            for row in rows:
                try:
                    row[at] = (datetime.date.fromisoformat(row[at]) - shift).isoformat()
                except ValueError:
                    pass  # a deliberately malformed date of the sample world stays malformed
                w.writerow(row)
PY
    echo "$stamp" > data/.params
fi
rows=0
for f in data/inbox/*/*.csv data/inbox/coc-hmis/*/*.csv; do [ -f "$f" ] && rows=$((rows + $(wc -l < "$f") - 1)); done
echo "world: MPI $(($(wc -l < data/mpi.csv) - 1)) patients; source data rows $rows (three school years of attendance)"
[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0

# 2. The pipeline pointed at the world; a fresh warehouse; night 1.
rm -rf pipelines
cp -r "$root/pipelines" pipelines
sed -i 's#^input: sample-data/#input: data/#' pipelines/sources/*.yaml
sed -i 's#\.\./sample-data/#../data/#' pipelines/nightly.yaml
if [ -d .lastmile ]; then "$lastmile" db stop >/dev/null 2>&1 || true; rm -rf .lastmile; fi
"$lastmile" db start >/dev/null 2>&1
url="$("$lastmile" db url)"
stages() { # summary JSON file
    python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("  stages: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(s["stageSeconds"].items()))
      + f"; total {s['seconds']:.2f}s")
if s.get("retention"):
    print(f"  retention: {s['retention']}")
PY
}
"$lastmile" run pipelines/nightly.yaml --as-of "$as_of" --summary-format json > night1.json 2> night1.log || true
echo "night 1 (as of $as_of, three school years loaded):"
stages night1.json
echo "rows per partition:"
psql -qXAt -F' ' "$url" <<'SQL'
SELECT format('  %-24s %10s rows', c.relname, (xpath('/row/n/text()',
       query_to_xml(format('SELECT count(*) AS n FROM lastmile.%I', c.relname), false, true, '')))[1]::text)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent IN ('lastmile.attendance_day'::regclass, 'lastmile.bed_night'::regclass) ORDER BY c.relname;
SQL

# 3. The reference: DELETE of the same rows retention drops, rolled back.
psql -qXAt "$url" > delete.out <<'SQL'
\timing on
BEGIN;
DELETE FROM lastmile.attendance_day WHERE attendance_date < '2025-07-01';
DELETE FROM lastmile.bed_night WHERE night < '2025-07-01';
ROLLBACK;
SQL
echo "DELETE of the 2024-25 rows (and older), rolled back: $(grep -o 'Time: [0-9.]* ms' delete.out | tr '\n' ' ')"

# 4. Night 2 with retention.
for f in pipelines/sources/*.yaml; do printf '\nretention_school_years: 2\n' >> "$f"; done
"$lastmile" run pipelines/nightly.yaml --as-of 2026-11-21 --summary-format json > night2.json 2> night2.log || true
echo "night 2 (as of 2026-11-21, retention_school_years: 2):"
stages night2.json

# 5. The flags' read of one school year, with and without the window.
psql -qXAt "$url" > explain.out <<'SQL'
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT source, patient_id, school_id, grade, attendance_date, status,
    minutes_absent FROM lastmile.attendance_day WHERE attendance_date BETWEEN '2026-08-01' AND '2026-11-21'
    ORDER BY patient_id, source, attendance_date, student_id;
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT source, patient_id, school_id, grade, attendance_date, status,
    minutes_absent FROM lastmile.attendance_day ORDER BY patient_id, source, attendance_date, student_id;
SQL
echo "flags' attendance read (2026-08-01 to 2026-11-21, then unwindowed):"
grep -E 'Scan on attendance_day_sy|Execution Time' explain.out | sed 's/^/  /'
"$lastmile" db stop >/dev/null 2>&1 || true
