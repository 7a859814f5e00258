#!/usr/bin/env bash
# Our COPY path vs `psql \copy`: the same 1,000,000-row CSV file into the same table, back to back, several
# rounds in alternating order. Prints rows/s for each and the median ratio (target: ours >= 0.9x psql).
set -euo pipefail
lastmile="$(realpath "${1:-.build/release/lastmile}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/bench-work/copy"
rounds="${ROUNDS:-5}"
rows="${ROWS:-1000000}"
mkdir -p "$work"
swift build -c release --product lastmile-bench --package-path "$root" >/dev/null
bench="$root/.build/release/lastmile-bench"

file="$work/people-$rows.csv"
if [ ! -s "$file" ]; then
    echo "generating $rows synthetic rows"
    python3 - "$file" "$rows" <<'PY'
import random, sys
path, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
given = ["Ava", "Noah", "Zoë", "O'Brien", "Liam", "Mía", "Kwame", "Sofía", "Nguyễn", "Eli"]
family = ["Garcia", "Smith", "Okonkwo", "Núñez", "Lee", "D'Angelo", "Kowalski", "Patel"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn,note\n")
    for i in range(n):
        note = random.choice(["", "moved", '"quoted, with comma"', "multi\nline", "tab\there"])
        if "\n" in note or "\t" in note: note = '"' + note + '"'
        f.write(f"P{i:07d},{random.choice(given)},{random.choice(family)},19{random.randint(40,99)}-0{random.randint(1,9)}-1{random.randint(0,9)},"
                f"{random.choice('FM')},{random.randint(1,9999)} Main St,Riverside,CA,9{random.randint(1000,9999)},"
                f"555{random.randint(1000000,9999999)},{random.randint(100000000,899999999)},{note}\n")
PY
fi
bytes=$(stat -c %s "$file")

cd "$work"
"$lastmile" db start >/dev/null
url="$("$lastmile" db url)"
table="bench_people"
psql -qX "$url" -c "DROP TABLE IF EXISTS $table; CREATE UNLOGGED TABLE $table (id text, given_name text, family_name text,
  birth_date date, sex text, street text, city text, state text, postal_code text, phone text, ssn text, note text)" >/dev/null

ours=(); theirs=()
run_psql() {
    psql -qX "$url" -c "TRUNCATE $table" >/dev/null
    local t0 t1; t0=$(date +%s.%N)
    psql -qX "$url" -c "\\copy $table from '$file' with (format csv, header true)" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
run_ours() {
    psql -qX "$url" -c "TRUNCATE $table" >/dev/null
    local t0 t1; t0=$(date +%s.%N)
    "$bench" copy-csv "$url" "$table" "$file" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then ours+=("$(run_ours)"); theirs+=("$(run_psql)"); else theirs+=("$(run_psql)"); ours+=("$(run_ours)"); fi
done
count=$(psql -qXAt "$url" -c "SELECT count(*) FROM $table")
[ "$count" = "$rows" ] || { echo "row count mismatch: $count" >&2; exit 1; }

python3 - "$rows" "$bytes" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
rows, size = int(sys.argv[1]), int(sys.argv[2])
ours = [float(x) for x in sys.argv[3].split()]
psql = [float(x) for x in sys.argv[4].split()]
mo, mp = statistics.median(ours), statistics.median(psql)
ratios = [p / o for o, p in zip(ours, psql)]
print(f"file: {rows} rows, {size/1e6:.1f} MB; {len(ours)} rounds, alternating order")
print(f"psql \\copy : median {mp:.2f} s  {rows/mp/1e3:8.0f} k rows/s")
print(f"lastmile   : median {mo:.2f} s  {rows/mo/1e3:8.0f} k rows/s")
print(f"ratio ours/psql (throughput): median of paired rounds {statistics.median(ratios):.2f}x, of medians {mp/mo:.2f}x (target >= 0.9x)")
PY
