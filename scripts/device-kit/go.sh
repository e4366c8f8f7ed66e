#!/bin/bash
# bash .devkit/pN/go.sh [all|gpu|workers|check]: stores part N in $KIT/.parts (KIT=/tmp/kit); the call that completes
# the set extracts the kit into $KIT and runs $KIT/run.sh (default: all = gpu check, then the workers bench --quick).
set -uo pipefail
KIT=${KIT:-/tmp/kit}
HERE=$(cd "$(dirname "$0")" && pwd)
N=$(cat "$HERE/count")
I=${HERE##*/p}
mkdir -p "$KIT/.parts"
ok() { [ -f "$KIT/.parts/chunk.$1" ] && [ "$(sha256sum < "$KIT/.parts/chunk.$1" | cut -d' ' -f1)" = "$(grep " chunk.$1\$" "$HERE/manifest" | cut -d' ' -f1)" ]; }
WHOLE=$(cat "$HERE/whole")
if [ -f "$KIT/.extracted" ] && [ "$(cat "$KIT/.extracted")" = "$WHOLE" ]; then
  echo "kit already extracted in $KIT"
  [ "$I" -lt "$N" ] && [ $# -eq 0 ] && exit 0
else
  cp "$HERE/chunk.$I" "$KIT/.parts/chunk.$I" && ok "$I" || { echo "FATAL: part $I is corrupt (sha256 mismatch)"; exit 4; }
  for j in $(seq 1 $((I - 1))); do
    ok "$j" || { echo "FATAL: part $j of $N is missing from $KIT (the machine went cold?): start again with part 1 (carry .devkit/p1, run bash .devkit/p1/go.sh)"; exit 3; }
  done
  missing=""
  for j in $(seq 1 "$N"); do ok "$j" || missing="$missing $j"; done
  if [ -n "$missing" ]; then
    echo "part $I ok ($N parts; still missing:$missing; next: carry .devkit/p$((I + 1)) and run bash .devkit/p$((I + 1))/go.sh)"
    exit 0
  fi
  echo "all $N parts here; extracting into $KIT"
  t0=$(date +%s)
  for j in $(seq 1 "$N"); do cat "$KIT/.parts/chunk.$j"; done | xz -dc -T0 | tar -C "$KIT" -xf - \
    && [ -f "$KIT/run.sh" ] && [ -x "$KIT/chromium/chromium" ] || { echo "FATAL: extraction into $KIT failed (disk full?)"; exit 5; }
  echo "$WHOLE" > "$KIT/.extracted"
  rm -f "$KIT"/.parts/chunk.*
  echo "part $I ok; kit extracted in $(( $(date +%s) - t0 )) s ($(du -sh "$KIT" | cut -f1))"
fi
if [ -f "$HERE/app.tar.xz" ]; then
  xz -dc "$HERE/app.tar.xz" | tar -C "$KIT" -xf - || { echo "FATAL: app.tar.xz did not extract"; exit 5; }
fi
exec bash "$KIT/run.sh" "${1:-all}"
