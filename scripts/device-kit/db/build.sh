#!/usr/bin/env bash
# Builds .devkit-db/kitdb.tar.xz: the db scale bench (bench/db.ts reportAndScanAtScale) as one ESM bundle, plus what it
# loads at run time: the scan worker's TypeScript sources (scan-workers.ts bundles them with esbuild at run time, from
# new URL('./scan-worker.ts', import.meta.url) = the bundle's own folder), esbuild + its linux-x64 binary, and DuckDB's
# linux-x64 native binding. Run from anywhere: bash scripts/device-kit/db/build.sh (output in .devkit-db/)
set -euo pipefail
cd "$(dirname "$0")/../../.."
mkdir -p .devkit-db
cp scripts/device-kit/db/go.sh .devkit-db/go.sh
ROOT=$PWD
STAGE=/tmp/kdb-stage
ANA=packages/db-integration/src/analysis
rm -rf "$STAGE" && mkdir -p "$STAGE/$ANA"
ESB=node_modules/.bin/esbuild
# 1. the bench entry: everything bundled except the native binding's loader and esbuild (both shipped below)
"$ESB" scripts/device-kit/db/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:@duckdb/node-bindings --external:esbuild \
  --banner:js="import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);" \
  --metafile="$STAGE/../kdb-entry-meta.json" --outfile="$STAGE/$ANA/db-scale.mjs" --log-level=warning
node -e '
const m = require(process.argv[1]);
const bad = Object.keys(m.inputs).filter((i) => /onnxruntime|playwright|\.node$/.test(i));
if (bad.length) { console.error("unexpected inputs in the bundle: " + bad.join(", ")); process.exit(1); }
const ext = new Set(Object.values(m.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
const nonBuiltin = [...ext].filter((p) => !p.startsWith("node:") && !require("node:module").builtinModules.includes(p));
if (nonBuiltin.sort().join() !== "@duckdb/node-bindings,esbuild") { console.error("unexpected externals: " + nonBuiltin.join(", ")); process.exit(1); }
' "$STAGE/../kdb-entry-meta.json"
# 2. the worker's sources, found the way scan-workers.ts bundles them (same entry, same options), plus the tsconfig and
#    package.json files esbuild reads on the way up from them
"$ESB" "$ANA/scan-worker.ts" --bundle --platform=node --format=cjs --target=node20 --metafile="$STAGE/../kdb-worker-meta.json" \
  --outfile=/tmp/kdb-worker-probe.cjs --log-level=warning
node -e 'console.log(Object.keys(require(process.argv[1]).inputs).join("\n"))' "$STAGE/../kdb-worker-meta.json" > "$STAGE/../kdb-worker-inputs.txt"
while read -r f; do
  case "$f" in packages/db-integration/src/*) ;; *) echo "worker input outside the package sources: $f" >&2; exit 1;; esac
  mkdir -p "$STAGE/$(dirname "$f")" && cp "$f" "$STAGE/$f"
done < "$STAGE/../kdb-worker-inputs.txt"
cp package.json tsconfig.base.json "$STAGE/"
cp packages/db-integration/package.json packages/db-integration/tsconfig.json "$STAGE/packages/db-integration/"
# 3. runtime packages, linux-x64 only
cpp() { mkdir -p "$STAGE/node_modules/$1"; for f in "${@:2}"; do mkdir -p "$STAGE/node_modules/$1/$(dirname "$f")"; cp -p "node_modules/$1/$f" "$STAGE/node_modules/$1/$f"; done; }
cpp esbuild package.json LICENSE.md lib/main.js
cpp @esbuild/linux-x64 package.json bin/esbuild
cpp @duckdb/node-bindings package.json LICENSE duckdb.js
cpp @duckdb/node-bindings-linux-x64 package.json LICENSE duckdb.node
cpp detect-libc package.json LICENSE $(cd node_modules/detect-libc && ls lib/*.js)
# libduckdb.so without its static symbol table (.symtab/.strtab, ~11 MB; the dynamic symbols it links by stay)
strip --strip-all -o "$STAGE/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so" node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so
echo "built from $(git -C "$ROOT" rev-parse HEAD) (tracked changes: $(git -C "$ROOT" status --porcelain --untracked-files=no | wc -l) files) at $(date -u +%FT%TZ)" > "$STAGE/KIT-VERSION"
# 4. the archive (no owners, sorted, for a stable tarball)
tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner -cf - . | xz -9e -T2 > .devkit-db/kitdb.tar.xz.tmp
mv .devkit-db/kitdb.tar.xz.tmp .devkit-db/kitdb.tar.xz
du -sh "$STAGE"; ls -l .devkit-db/kitdb.tar.xz; sha256sum .devkit-db/kitdb.tar.xz | tee .devkit-db/kitdb.tar.xz.sha256
