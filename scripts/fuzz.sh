#!/usr/bin/env bash
# Builds the libFuzzer executables in Fuzz/ and runs one of them (docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags…]
#   TARGET: csv-reader | date-parsers | source-config | fhir-consent | build (build only)
#
# New interesting inputs go to Fuzz/work/<target>/corpus (not committed), seeded from Fuzz/corpus/<target>;
# crashes, hangs and leaks go to Fuzz/work/<target>/ as crash-*, timeout-*, leak-*. The run's log is
# Fuzz/work/<target>/fuzz.log; its last lines are the figures docs/fuzzing.md records.
# FUZZ_NO_BUILD=1 skips the build (to run two targets at once after one build).
# FUZZ_CONFIG=debug builds without optimisation (if the release build fails on a toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags…]}"
seconds="${2:-600}"
shift $(( $# >= 2 ? 2 : 1 ))
config="${FUZZ_CONFIG:-release}"

# Both spellings are needed (docs/fuzzing.md): --sanitize=fuzzer makes SwiftPM link libFuzzer's main instead of
# renaming each executable's entry point (with -Xswiftc alone the link fails), but it hands swiftc one
# -sanitize= flag per sanitizer and swiftc keeps only the last, so Swift code would get no AddressSanitizer.
[ -n "${FUZZ_NO_BUILD:-}" ] || nice -n 10 swift build --package-path Fuzz -c "$config" \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol"
[ "$target" = build ] && exit 0

case "$target" in
    csv-reader) product=FuzzCSVReader; max_len=4096 ;;
    date-parsers) product=FuzzDateParsers; max_len=64 ;;
    source-config) product=FuzzSourceConfig; max_len=4096 ;;
    fhir-consent) product=FuzzFHIRConsent; max_len=8192 ;;
    *) echo "unknown target $target" >&2; exit 64 ;;
esac
bin="Fuzz/.build/$config/$product"
# Once a link produced a binary whose Swift code reported no coverage; refuse to fuzz blind.
probe="$(SWIFT_BACKTRACE=enable=no "$bin" -runs=0 "Fuzz/corpus/$target" 2>&1 || true)"
if [[ "$probe" != *"INITED cov:"* ]]; then
    echo "$bin reports no coverage: relink it (touch Sources/FuzzEntryPoints/FuzzSupport.swift) and retry" >&2
    exit 70
fi
work="Fuzz/work/$target"
mkdir -p "$work/corpus"
dict=()
[ -f "Fuzz/dictionaries/$target.dict" ] && dict=(-dict="Fuzz/dictionaries/$target.dict")
# The CSV target writes each input to a scratch file; keep it in memory when /dev/shm exists.
[ -d /dev/shm ] && export TMPDIR=/dev/shm
# Swift's own crash backtracer reads memory ASan reports as a bad access; leave crash reports to libFuzzer.
export SWIFT_BACKTRACE=enable=no
nice -n 10 "$bin" "$work/corpus" "Fuzz/corpus/$target" "${dict[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$@" 2>&1 | tee "$work/fuzz.log" | grep -E "^#[0-9]+\s+(INITED|DONE)|ERROR|SUMMARY|stat::|^MS:|Test unit written" || true
