#!/usr/bin/env bash
# The nightly run at scale: a 1,000,000-patient MPI and about 1,000,000 source rows, loaded once into a fresh
# embedded warehouse by `lastmile run` (release build), with wall time, peak RSS and per-stage seconds; then the
# load-stage reference: `psql \copy` of the same rows (dumped from the tables the run loaded) into empty tables
# of the same shape and indexes, median of REF_ROUNDS rounds. Prints our load stage / psql ratio.
#
# Usage: bench/nightly.sh [path/to/lastmile]     (PEOPLE, MPI_SIZE, REF_ROUNDS, PREPARE_ONLY=1 to stop after data,
#        RUN_ARGS="--verbose" for per-table debug lines in run.log, SECOND_NIGHT=1 to time a following night too,
#        MPI_CHANGE_EVERY=1000 patients of whom one changes in the second night's MPI, 0 for none; MPI_CHANGE_AS=delta
#        to send those changes as an EMPI delta, not a new snapshot; UNKNOWN_EVERY, see step 6)
#
# The sample-world generator ties the MPI to the sources (about 0.7 patients and 15 source rows per person), so
# no single --people value gives both a 1M MPI and 1M source rows: a 1M-patient world carries about 21M source
# rows. The benchmark world is therefore a PEOPLE-person world (its sources give the ~1M rows, its patients are
# the ones the sources can match) plus, to reach MPI_SIZE patients, a --benchmark MPI of other synthetic people
# of the same towns (ids re-prefixed `X` so they cannot collide), i.e. the HIE's many patients who never appear
# in a community source. They load, refresh and sit in the matcher's blocks like any other patient.
set -euo pipefail
lastmile="$(realpath "${1:-.build/release/lastmile}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${WORK:-$root/bench-work/nightly}"
people="${PEOPLE:-68000}"
mpi_size="${MPI_SIZE:-1000000}"
ref_rounds="${REF_ROUNDS:-3}"
as_of=2026-11-20
mkdir -p "$work"
cd "$work"

echo "nightly benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lastmile: $lastmile"

# 1. The world (regenerated only when its parameters change).
if [ -f mpi-night1.csv ]; then mv mpi-night1.csv data/mpi.csv; fi # an interrupted second night's change undone
stamp="people=$people mpi=$mpi_size seed=20261120 as-of=$as_of"
if [ "$(cat data/.params 2>/dev/null)" != "$stamp" ]; then
    rm -rf data data-pad
    t0=$(date +%s.%N)
    "$lastmile" sample-data generate --people "$people" --seed 20261120 --as-of "$as_of" --out data 2>/dev/null
    world=$(($(wc -l < data/mpi.csv) - 1))
    pad=$((mpi_size - world))
    if ((pad > 0)); then
        "$lastmile" sample-data generate --benchmark --mpi-size "$pad" --seed 4242 --out data-pad >/dev/null 2>&1
        tail -n +2 data-pad/mpi.csv | sed 's/^P/X/' >> data/mpi.csv
        rm -rf data-pad
    fi
    echo "$stamp" > data/.params
    printf "generated in %.1f s\n" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
fi
mpi_rows=$(($(wc -l < data/mpi.csv) - 1))
src_rows=0
for f in data/inbox/*/*.csv data/inbox/coc-hmis/*/*.csv; do
    [ -f "$f" ] && src_rows=$((src_rows + $(wc -l < "$f") - 1))
done
echo "world: --people $people; MPI $mpi_rows patients; source data rows $src_rows (all files, HMIS tables included)"
[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0

# 2. The pipeline, pointed at the world: source inputs are relative to the pipelines folder's parent.
rm -rf pipelines
cp -r "$root/pipelines" pipelines
sed -i 's#^input: sample-data/#input: data/#' pipelines/sources/*.yaml
sed -i 's#\.\./sample-data/#../data/#' pipelines/nightly.yaml

# 3. A fresh embedded warehouse.
if [ -d .lastmile ]; then "$lastmile" db stop >/dev/null 2>&1 || true; rm -rf .lastmile; fi
"$lastmile" db start >/dev/null 2>&1
url="$("$lastmile" db url)"

# 4. The night, once.
# CPU seconds of the server's exited backends (the postmaster's reaped children): with the lastmile process's own
# CPU, a measure that a busy machine disturbs less than wall time.
server_cpu() {
    local pid
    pid=$(head -1 .lastmile/pgdata/postmaster.pid)
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($16 + $17) / hz}' "/proc/$pid/stat"
}
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
server0=$(server_cpu)
# shellcheck disable=SC2086
/usr/bin/time -v -o run.time "$lastmile" run pipelines/nightly.yaml --as-of "$as_of" --log-format json ${RUN_ARGS:-} \
    > run.out 2> run.log
echo "load average after the run:  $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E '^(reference data|flags|time):' run.out
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' run.time)
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' run.time)
cpu_user=$(awk -F': ' '/User time/ {print $2}' run.time)
cpu_sys=$(awk -F': ' '/System time/ {print $2}' run.time)
echo "lastmile process: wall $wall, peak RSS $((rss_kb / 1024)) MiB, CPU user $cpu_user s + sys $cpu_sys s (server not included)"
sleep 1
echo "server backends of the run: CPU $(echo "$(server_cpu) - $server0" | bc -l) s"
load_s=$(sed -n 's/.*load \([0-9.]*\)s.*/\1/p' run.out)

# 5. Reference: psql \copy of the rows the load stage wrote, into empty tables of the same shape and indexes
#    (bench_ref), and the same with the tables' foreign keys to the run ledger (bench_ref_fk: our upserts pay a
#    foreign-key check per row, a plain \copy into a table without the key does not).
tables=(attendance_day shelter_stay bed_night booking housing_status source_crosswalk review_queue rejected_row)
psql -qX "$url" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench_ref CASCADE; DROP SCHEMA IF EXISTS bench_ref_fk CASCADE;
    CREATE SCHEMA bench_ref; CREATE SCHEMA bench_ref_fk" >/dev/null
ref_rows=0
: > ref-copy.sql
: > ref-copy-fk.sql
for t in "${tables[@]}"; do
    psql -qX "$url" -c "\\copy (SELECT * FROM lastmile.$t) to '$work/ref-$t.csv' with (format csv)" >/dev/null
    for schema in bench_ref bench_ref_fk; do
        psql -qX "$url" -c "CREATE TABLE $schema.$t (LIKE lastmile.$t INCLUDING ALL)" >/dev/null
    done
    ref_rows=$((ref_rows + $(wc -l < "ref-$t.csv")))
    echo "\\copy bench_ref.$t from '$work/ref-$t.csv' with (format csv)" >> ref-copy.sql
    echo "\\copy bench_ref_fk.$t from '$work/ref-$t.csv' with (format csv)" >> ref-copy-fk.sql
done
psql -qX "$url" >/dev/null <<'SQL'
SET search_path = lastmile;
SELECT format('ALTER TABLE bench_ref_fk.%I ADD %s', c.relname, pg_get_constraintdef(k.oid))
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'lastmile' AND k.contype = 'f'
  AND c.relname IN ('attendance_day', 'shelter_stay', 'bed_night', 'booking', 'housing_status', 'source_crosswalk',
                    'review_queue', 'rejected_row')
\gexec
SQL
time_ref() { # schema, script
    psql -qX "$url" -c "TRUNCATE $(printf "$1.%s," "${tables[@]}" | sed 's/,$//')" >/dev/null
    local t0 t1; t0=$(date +%s.%N)
    psql -qX "$url" -v ON_ERROR_STOP=1 -1 -f "$2" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
ref_times=(); ref_fk_times=()
for ((r = 1; r <= ref_rounds; r++)); do
    ref_times+=("$(time_ref bench_ref ref-copy.sql)")
    ref_fk_times+=("$(time_ref bench_ref_fk ref-copy-fk.sql)")
done
python3 - "$load_s" "$ref_rows" "${ref_times[*]}" "${ref_fk_times[*]}" <<'PY'
import statistics, sys
load, rows = float(sys.argv[1]), int(sys.argv[2])
for label, arg in (("same indexes", sys.argv[3]), ("same indexes + foreign keys", sys.argv[4])):
    ref = [float(x) for x in arg.split()]
    m = statistics.median(ref)
    print(f"psql \\copy of the same {rows} rows, {label}: median {m:.2f} s of {len(ref)} ({', '.join(f'{x:.2f}' for x in ref)});"
          f" load stage / psql = {load / m:.2f}x (target <= 1.5x)")
print(f"load stage (events, crosswalk, review queue, rejected rows; COPY straight in or staged merge): {load:.2f} s")
PY

# 6. Optionally, the following night: both districts re-send their attendance file with a few corrections (every
#    500th present day becomes an absence; column 8 in Ed-Fi rows, which may carry a 9th, the grade), so most rows
#    conflict with what is stored and are unchanged; and the EMPI's snapshot changes in every MPI_CHANGE_EVERY-th
#    patient (default 1000, i.e. 0.1 % of the MPI: the street gains a unit, a patient who moved; 0 keeps the
#    snapshot identical, which the run then skips by its sha256), in a new snapshot or, with MPI_CHANGE_AS=delta, in
#    a delta (`reference.mpi_delta`) beside the unchanged snapshot. mpi.csv is restored afterwards.
if [ "${SECOND_NIGHT:-0}" = 1 ]; then
    change_every="${MPI_CHANGE_EVERY:-1000}"
    if ((change_every > 0)); then
        cp data/mpi.csv mpi-night1.csv
        awk -F, -v OFS=, -v every="$change_every" \
            'NR > 1 && NF == 11 && (NR - 1) % every == 0 {$6 = $6 " Unit 2"; n++} {print} END {print n > "mpi-changed.n"}' \
            mpi-night1.csv > mpi-night2.csv
        if [ "${MPI_CHANGE_AS:-snapshot}" = delta ]; then # the snapshot stays (skipped); a delta names the changes
            awk -F, -v OFS=, -v every="$change_every" 'NR == 1 {print $0, "change"}
                NR > 1 && NF == 11 && (NR - 1) % every == 0 {print $0, "updated"}' mpi-night2.csv > data/mpi-delta.csv
            sed -i 's#^  mpi: .*$#&\n  mpi_delta: [../data/mpi-delta.csv]#' pipelines/nightly.yaml
        else
            cp mpi-night2.csv data/mpi.csv
        fi
        echo "second night MPI: $(cat mpi-changed.n) of $mpi_rows patients changed (every ${change_every}th)," \
            "sent as a ${MPI_CHANGE_AS:-snapshot}"
    fi
    # Rows of students the crosswalk does not know (in review or not in the MPI) are kept one in UNKNOWN_EVERY
    # (default 20), so ~95 % or more of the re-sent rows are of known people; UNKNOWN_EVERY=1 re-sends every row.
    psql -qX "$url" -c "\\copy (SELECT source, source_person_id FROM lastmile.source_crosswalk) to '$work/known.csv' with (format csv)"
    resend() { # source, old file, new file, awk correction of a kept row
        awk -F, -v OFS=, -v src="$1" -v every="${UNKNOWN_EVERY:-20}" "
            FNR == NR { if (\$1 == src) known[\$2] = 1; next }
            FNR == 1 { print; next }
            !(\$1 in known) && FNR % every != 0 { next }
            { if (\$1 in known) k++; else u++ } $4 { print }
            END { printf \"%s: %d rows re-sent, %.1f %% of people the crosswalk knows\\n\", src, k + u, 100 * k / (k + u) > \"/dev/stderr\" }
        " known.csv "$2" > "$3"
    }
    resend riverside-usd data/inbox/riverside-usd/attendance-2026-11-20.csv \
        data/inbox/riverside-usd/attendance-2026-11-21.csv 'NF == 20 && FNR % 500 == 0 && $12 == "P" { $12 = "A" }'
    resend lakeside-edfi data/inbox/lakeside-edfi/attendance-events-2026-11-20.csv \
        data/inbox/lakeside-edfi/attendance-events-2026-11-21.csv \
        'NF >= 8 && FNR % 500 == 0 && $8 ~ /#In Attendance$/ { sub(/#In Attendance$/, "#Unexcused Absence", $8) }'
    echo "second night (re-sent attendance with corrections), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    # shellcheck disable=SC2086
    server0=$(server_cpu)
    /usr/bin/time -v -o run2.time "$lastmile" run pipelines/nightly.yaml --as-of 2026-11-21 --log-format json ${RUN_ARGS:-} \
        > run2.out 2> run2.log || true
    sleep 1
    server2=$(echo "$(server_cpu) - $server0" | bc -l)
    rm -f data/inbox/riverside-usd/attendance-2026-11-21.csv data/inbox/lakeside-edfi/attendance-events-2026-11-21.csv
    if ((change_every > 0)); then mv mpi-night1.csv data/mpi.csv; rm -f mpi-night2.csv data/mpi-delta.csv; fi
    grep -E '^(reference data|time):' run2.out
    wall2=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' run2.time)
    rss2_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' run2.time)
    cpu2_user=$(awk -F': ' '/User time/ {print $2}' run2.time)
    cpu2_sys=$(awk -F': ' '/System time/ {print $2}' run2.time)
    echo "second night lastmile process: wall $wall2, peak RSS $((rss2_kb / 1024)) MiB," \
        "CPU user $cpu2_user s + sys $cpu2_sys s; server backends CPU $server2 s"
    grep -E 'loaded ' run2.out | sed 's/^ */  /'
fi
"$lastmile" db stop >/dev/null 2>&1 || true
