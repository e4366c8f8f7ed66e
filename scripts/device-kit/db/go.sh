#!/usr/bin/env bash
# Device run of the db scale bench (bench/db.ts reportAndScanAtScale: the "## Scale" table on a 1M-row database).
# Needs: KITNODE = a node >= 20 binary; xz and tar. Extracts kitdb.tar.xz (beside this script) to /tmp/kitdb and runs it;
# with $OUT set, the log goes to $OUT/db-scale.log and the recorded figures to $OUT/db-scale.json (or $OUT_JSON).
# KDB_RUNS=N (default 1) runs the bench N times in a row (one extraction); with N > 1 the figures go to db-scale-<i>.json.
# Extra arguments go to the entry (--quick mirrors `npm run bench -- --quick`; this part does not read it).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ARCHIVE=$HERE/kitdb.tar.xz
KIT=/tmp/kitdb
die() { echo "go.sh: $*" >&2; exit 2; }
[ -n "${KITNODE:-}" ] || die "KITNODE is not set: set it to the path of a node >= 20 binary (e.g. the node kit's bin/node)"
[ -f "$KITNODE" ] || die "KITNODE=$KITNODE: no such file"
[ -x "$KITNODE" ] || die "KITNODE=$KITNODE is not executable (chmod +x it, or point KITNODE at the node binary itself)"
NODEV=$("$KITNODE" -v 2>&1) || die "KITNODE=$KITNODE does not run: $NODEV"
KITNODE=$(readlink -f "$KITNODE")  # absolute: the bench runs from the kit's folder
case "$NODEV" in v2[0-9].*|v[3-9][0-9].*) ;; *) die "KITNODE=$KITNODE is node $NODEV; need >= 20";; esac
[ -f "$ARCHIVE" ] || die "no $ARCHIVE (carry .devkit-db)"
command -v xz >/dev/null || die "xz not found"
if [ -f "$ARCHIVE.sha256" ]; then
  want=$(cut -d' ' -f1 "$ARCHIVE.sha256"); got=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)
  [ "$want" = "$got" ] || die "kitdb.tar.xz is damaged (sha256 $got, want $want)"
fi
rm -rf "$KIT" && mkdir -p "$KIT" || die "cannot create $KIT"
xz -dc "$ARCHIVE" | tar -xf - -C "$KIT" || die "extracting $ARCHIVE failed"
RUNS=${KDB_RUNS:-1}
case "$RUNS" in [1-7]) ;; *) die "KDB_RUNS=$RUNS: use 1 to 7";; esac
LOG=/dev/null
JSON=${OUT_JSON:-}
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  LOG=$OUT/db-scale.log
  JSON=${JSON:-$OUT/db-scale.json}
fi
# Nothing from the caller's environment changes what node loads or how esbuild is found.
unset NODE_PATH NODE_OPTIONS ESBUILD_BINARY_PATH
{
  echo "kit: $(cat "$KIT/KIT-VERSION"); node $NODEV ($KITNODE); $(nproc) cores; $(uname -sr)"
  echo "uptime before: $(uptime)"
  cd "$KIT" || exit 2
  rc=0
  for i in $(seq 1 "$RUNS"); do
    json=$JSON
    [ "$RUNS" -gt 1 ] && [ -n "$json" ] && json=${json%.json}-$i.json
    [ "$RUNS" -gt 1 ] && echo "=== run $i of $RUNS"
    OUT_JSON=$json "$KITNODE" packages/db-integration/src/analysis/db-scale.mjs "$@" || rc=$?
    echo "uptime after run $i: $(uptime)"
  done
  echo "exit status: $rc"
  exit $rc
} 2>&1 | tee "$LOG"
