#!/usr/bin/env bash
# Matching benchmark: lastmile link against Splink 5.0.0 (full and core) on the same files, in one command.
#
#   bench/match.sh [SET ...]      SET: febrl4 (default), 10k, 100k, 1m
#   RUNS=3 bench/match.sh febrl4 10k   # medians of 3 runs per tool
#   TOOLS=lastmile,splink-core bench/match.sh 1m   # a subset of tools
#
# Builds lastmile in release, creates bench-work/venv with splink==5.0.0 from PyPI when missing, generates
# benchmark worlds with `lastmile sample-data generate --benchmark` (seed 7), runs every tool under
# /usr/bin/time -v, scores with ../shared/benchmarks/score.py and prints one table. Results also go to
# bench-work/match-results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK="$ROOT/bench-work"
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/python" ] || ! "$WORK/venv/bin/python" -c "import splink" 2>/dev/null; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet "splink==5.0.0"
fi
swift build -c release --product lastmile </dev/null 2>&1 | { grep -E "error|warning:|Compiling|complete" || true; } | tail -3
BIN="$(swift build -c release --show-bin-path </dev/null)/lastmile"
exec python3 "$ROOT/bench/match_bench.py" --lastmile "$BIN" --python "$WORK/venv/bin/python" --work "$WORK" \
    --score "${SCORE:-/work/shared/benchmarks/score.py}" --febrl "${FEBRL:-/work/shared/benchmarks/febrl4}" \
    --runs "${RUNS:-1}" --tools "${TOOLS:-lastmile,splink-full,splink-core}" "${@:-febrl4}"
