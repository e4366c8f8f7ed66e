#!/usr/bin/env bash
# The benchmark workflow's steps in one script: .github/workflows/benchmark.yml runs it on a hosted runner, and
# test/workflow.test.ts runs it on an empty directory (twice: a first run, then a run that finds the kept database),
# so a broken step fails `npm test` here instead of failing every night.
#
# Usage: scripts/benchmark-workflow.sh [WORK_DIR]        (default: the current directory)
#
# Environment (default):
#   BENCHMARK_DB_PATH    the database ($WORK_DIR/.benchmark/benchmark_db.duckdb); created when absent (first run)
#   BROWSER_POOL_SETUP   1 = run `npm run setup` first, as a fresh runner needs (0)
#   BENCH_MODELS         (bert-tiny,vit-tiny,audio-encoder-tiny)
#   BENCH_BROWSERS       (chromium,firefox: a browser this machine lacks is skipped with the reason)
#   BENCH_BACKENDS       (wasm,webgpu)
#   BENCH_BATCH_SIZES    (1,4)
#   BENCH_FLAGS          flags compared, e.g. precompile ('' = none)
#   BENCH_REPEATS        runs per configuration; 5 gives flag comparisons a verdict (1)
#   BENCH_EXTRA          more `bench` options, e.g. '--min-iterations 5' ('')
#   REFRESH_DAYS         re-run stored results older than this (7)
#   GITHUB_STEP_SUMMARY  where the markdown summary goes ($WORK_DIR/reports/summary.md)
# Exit status: 0 when every step passed; 1 when `db check` found problems or a sweep configuration failed (the
# reports and the backup are still written); another status when a step could not run at all.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mkdir -p "${1:-$PWD}" && cd "${1:-$PWD}" && pwd)"
export BENCHMARK_DB_PATH="${BENCHMARK_DB_PATH:-$WORK/.benchmark/benchmark_db.duckdb}"
REPORTS="$WORK/reports"
SUMMARY="${GITHUB_STEP_SUMMARY:-$REPORTS/summary.md}"
mkdir -p "$REPORTS" "$(dirname "$BENCHMARK_DB_PATH")" "$(dirname "$SUMMARY")"
failed=0

say() { printf '[benchmark-workflow] %s\n' "$*" >&2; }
bp() { node "$ROOT/packages/cli/bin/browser-pool.mjs" "$@"; }

# apt as root, else through passwordless sudo (hosted runners), else not at all
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends "$@"
  else
    say "cannot install $* (not root, no passwordless sudo): continuing without"
    return 0
  fi
}

# 1. Browsers, pages, models. A hosted Ubuntu runner ships Google Chrome; Debian's `chromium` package is a snap stub
# there, so the runner's Chrome is used when no Chromium is installed, and apt only adds the Vulkan drivers (WebGPU).
if [ "${BROWSER_POOL_SETUP:-0}" = 1 ]; then
  if [ -z "${BROWSER_POOL_CHROMIUM:-}" ] && [ ! -x /usr/lib/chromium/chromium ] && [ ! -x /usr/bin/chromium ]; then
    for candidate in "${CHROME_BIN:-}" /usr/bin/google-chrome /usr/bin/google-chrome-stable /usr/bin/chromium-browser; do
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        export BROWSER_POOL_CHROMIUM="$candidate"
        say "using the runner's browser $candidate"
        break
      fi
    done
  fi
  if [ ! -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] && [ ! -e /usr/share/vulkan/icd.d/lvp_icd.aarch64.json ]; then
    apt_install mesa-vulkan-drivers || say "mesa-vulkan-drivers did not install: WebGPU configurations are skipped with the reason"
  fi
  # setup's own apt step needs root; what it would add is handled above
  if [ "$(id -u)" != 0 ]; then export BROWSER_POOL_SKIP_APT=1; fi
  (cd "$ROOT" && npm run setup)
fi

# 2. The database: created by the first write on a fresh repository, checked when it already exists.
if [ -f "$BENCHMARK_DB_PATH" ]; then
  say "checking $BENCHMARK_DB_PATH"
  set +e
  bp db check > "$REPORTS/db-check.md"
  rc=$?
  set -e
  cat "$REPORTS/db-check.md"
  # exit 1 with a findings table: problems to report, but the sweep can still run; anything else: cannot open it
  if [ "$rc" != 0 ] && ! grep -q '^## check:' "$REPORTS/db-check.md"; then
    say "db check could not run (exit $rc): stopping"
    exit "$rc"
  fi
  if [ "$rc" != 0 ]; then failed=1; fi
else
  say "no database at $BENCHMARK_DB_PATH: first run, it is created"
fi

# 3. What exists here (logged in the database; this creates it on a first run).
bp availability

if [ ! -f "$REPORTS/db-check.md" ]; then
  bp db check > "$REPORTS/db-check.md" || failed=1
  cat "$REPORTS/db-check.md"
fi

# 4. The sweep: what is missing or older than REFRESH_DAYS.
flags=()
if [ -n "${BENCH_FLAGS:-}" ]; then flags=(--flags "$BENCH_FLAGS"); fi
# shellcheck disable=SC2086 # BENCH_EXTRA is a list of options
bp bench \
  --models "${BENCH_MODELS:-bert-tiny,vit-tiny,audio-encoder-tiny}" \
  --browsers "${BENCH_BROWSERS:-chromium,firefox}" \
  --backends "${BENCH_BACKENDS:-wasm,webgpu}" \
  --batch-sizes "${BENCH_BATCH_SIZES:-1,4}" \
  "${flags[@]}" \
  --repeats "${BENCH_REPEATS:-1}" \
  --missing-only --refresh-older-than "${REFRESH_DAYS:-7}" \
  ${BENCH_EXTRA:-} > "$REPORTS/sweep.md" || failed=1
cat "$REPORTS/sweep.md"

# 5. Reports: the regression report (and the rest) into the summary and the report folder.
bp report regressions --format md --output "$REPORTS/regressions.md"
bp report optimization --format md --output "$REPORTS/optimization.md"
bp report recommendations --format md --output "$REPORTS/recommendations.md"
bp report performance --format html --output "$REPORTS/benchmark-report.html"
cat "$REPORTS/regressions.md" "$REPORTS/optimization.md" "$REPORTS/recommendations.md" >> "$SUMMARY"

# 6. A compressed backup next to the database (kept with it between runs, and uploaded).
bp db backup --dir "$(dirname "$BENCHMARK_DB_PATH")/backups" --compress --keep 3

say "done: database $BENCHMARK_DB_PATH, reports in $REPORTS, summary $SUMMARY (exit $failed)"
exit "$failed"
