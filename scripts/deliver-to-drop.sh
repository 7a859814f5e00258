#!/bin/sh
# Example delivery command for pipelines/monday-absenteeism.yaml: copies one report file into a drop folder
# (LASTMILE_DROP_DIR, default ./drop) under the practice's name, keeping it private (0700 dirs, 0600 files).
# Usage: deliver-to-drop.sh PRACTICE_ID FILE   — exits non-zero on any failure so lastmile retries.
set -eu
practice="$1"
file="$2"
case "$practice" in ''|*/*|.*) echo "deliver-to-drop: bad practice id" >&2; exit 64 ;; esac
drop="${LASTMILE_DROP_DIR:-drop}/$practice"
umask 077
mkdir -p "$drop"
cp -- "$file" "$drop/.incoming.$$"
mv -- "$drop/.incoming.$$" "$drop/$(basename -- "$file")"
