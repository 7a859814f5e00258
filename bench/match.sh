#!/usr/bin/env bash
# Matching benchmark: lastmile link against Splink 5.0.0 (full and core) on the same files, in one command.
#
#   bench/match.sh [SET ...]   SET: febrl4 (default), febrl3, 10k, 100k, 1m, gen10k, gen100k, gen1m, gensparse
#   RUNS=3 bench/match.sh febrl4 10k   # medians of 3 runs per tool
#   TOOLS=lastmile,splink-core bench/match.sh 1m   # a subset of tools
#   SPLINK_MEM_CAP=16384 SPLINK_TIME_CAP=3600 bench/match.sh 1m   # kill Splink above 16 GiB or after an hour
#   SEED=8 GEN_SEED=11 bench/match.sh 10k gen10k   # other worlds (defaults: SEED 7, GEN_SEED 29)
#
# Builds lastmile in release, creates bench-work/venv with splink==5.0.0 from PyPI when missing, generates
# benchmark worlds with `lastmile sample-data generate --benchmark` (SEED, default 7; sets 10k, 100k, 1m) and with the
# independent generator bench/gen_world.py (Faker from PyPI in .build/bench-venv; GEN_SEED, default 29; sets
# gen10k, gen100k, gen1m, gensparse), splits FEBRL3 into MPI (-org) and incoming (-dup-), runs every tool under
# /usr/bin/time -v (Splink under an optional memory and time watchdog: the set's row then says it was killed),
# scores with ../shared/benchmarks/score.py and prints, per set, precision, recall, F1, review share, wall and
# peak RSS of every tool side by side. Results also go to bench-work/match-results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK="$ROOT/bench-work"
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/python" ] || ! "$WORK/venv/bin/python" -c "import splink" 2>/dev/null; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet "splink==5.0.0"
fi
GEN_VENV="$ROOT/.build/bench-venv"
if [ ! -x "$GEN_VENV/bin/python" ] || ! "$GEN_VENV/bin/python" -c "import faker" 2>/dev/null; then
    python3 -m venv "$GEN_VENV"
    "$GEN_VENV/bin/pip" install --quiet "faker==40.54.0"
fi
swift build -c release --product lastmile </dev/null 2>&1 | { grep -E "error|warning:|Compiling|complete" || true; } | tail -3
BIN="$(swift build -c release --show-bin-path </dev/null)/lastmile"
exec python3 "$ROOT/bench/match_bench.py" --lastmile "$BIN" --python "$WORK/venv/bin/python" --work "$WORK" \
    --score "${SCORE:-/work/shared/benchmarks/score.py}" --febrl "${FEBRL:-/work/shared/benchmarks/febrl4}" \
    --gen-python "$GEN_VENV/bin/python" --gen-seed "${GEN_SEED:-29}" --seed "${SEED:-7}" \
    ${SPLINK_MEM_CAP:+--splink-mem-cap "$SPLINK_MEM_CAP"} ${SPLINK_TIME_CAP:+--splink-time-cap "$SPLINK_TIME_CAP"} \
    --runs "${RUNS:-1}" --tools "${TOOLS:-lastmile,splink-full,splink-core}" "${@:-febrl4}"
