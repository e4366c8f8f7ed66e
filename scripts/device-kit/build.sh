#!/bin/bash
# Builds the device kit: a staging tree ($STAGE), one kit.tar.xz split into .devkit/p1, p2, ... (each <= 56 MiB)
# with go.sh and the manifest in every part. Run from anywhere: bash scripts/device-kit/build.sh (see README.md beside it)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SRC=$REPO/scripts/device-kit
DK=$REPO/.devkit
STAGE=${STAGE:-/tmp/dkstage}
PART_MIB=${PART_MIB:-56}
C=/usr/lib/chromium

if [ "${SPLIT_ONLY:-}" != 1 ] && [ "${APP_ONLY:-}" != 1 ]; then
rm -rf "$STAGE"
mkdir -p "$STAGE"/{chromium/locales,lib,fonts,bin,app/dist/pages/assets,app/k/i/t/s,app/node_modules}

# node
cp "$(readlink -f "$(command -v node)")" "$STAGE/node"

# chromium: only what headless needs
cp $C/{chromium,chrome_crashpad_handler,chrome_100_percent.pak,chrome_200_percent.pak,resources.pak,icudtl.dat,v8_context_snapshot.bin,snapshot_blob.bin,libEGL.so,libGLESv2.so,libvk_swiftshader.so,vk_swiftshader_icd.json,libvulkan.so.1} "$STAGE/chromium/"
cp $C/locales/en-US.pak "$STAGE/chromium/locales/"

# vkprobe: the Vulkan loader alone (dlopen, no headers needed)
gcc -O2 -o "$STAGE/bin/vkprobe" "$SRC/vkprobe.c" -ldl

# the JS bundle (REPO_ROOT in paths.ts = 4 levels above the bundle = app/)
(cd $REPO && node_modules/.bin/esbuild scripts/device-kit/kit.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$STAGE/app/k/i/t/s/kit.mjs" --external:onnxruntime-node --external:playwright-core --external:'@duckdb/*' \
  --banner:js="import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);" \
  --log-level=warning)

# native / asset packages
NM=$REPO/node_modules
cp -r $NM/playwright-core "$STAGE/app/node_modules/"
rm -rf "$STAGE/app/node_modules/playwright-core/lib/vite"
cp -r $NM/onnxruntime-common "$STAGE/app/node_modules/"
mkdir -p "$STAGE/app/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp -r $NM/onnxruntime-node/{package.json,dist} "$STAGE/app/node_modules/onnxruntime-node/"
cp -r $NM/onnxruntime-node/bin/napi-v6/linux/x64 "$STAGE/app/node_modules/onnxruntime-node/bin/napi-v6/linux/"
mkdir -p "$STAGE/app/node_modules/onnxruntime-web/dist"
cp $NM/onnxruntime-web/package.json "$STAGE/app/node_modules/onnxruntime-web/"
cp $NM/onnxruntime-web/dist/{ort.min.mjs,ort.node.min.js,ort.node.min.mjs,ort-wasm-simd-threaded.jsep.mjs,ort-wasm-simd-threaded.jsep.wasm} "$STAGE/app/node_modules/onnxruntime-web/dist/"

# built worker page (no dashboard, no duckdb wasm, no source maps)
P=$REPO/dist/pages
cp $P/worker.html "$STAGE/app/dist/pages/"
for f in $P/assets/*; do
  case "$(basename "$f")" in *.map|dashboard-*|duckdb-*) ;; *) cp "$f" "$STAGE/app/dist/pages/assets/" ;; esac
done

# fonts (fonts.conf is written by go.sh with the kit's path)
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$STAGE/fonts/"

# shared libs: ldd closure minus what the device has (and never libc/libm/ld-linux)
EXTRA=(/usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib/x86_64-linux-gnu/libGLdispatch.so.0
  /usr/lib/x86_64-linux-gnu/{libsoftokn3.so,libfreebl3.so,libfreeblpriv3.so,libnssckbi.so,libnssdbm3.so,libssl3.so})
ldd $C/chromium $C/chrome_crashpad_handler $C/libvk_swiftshader.so $C/libvulkan.so.1 "$STAGE/node" \
  $NM/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node "${EXTRA[@]}" "$STAGE/bin/vkprobe" 2>/dev/null \
  | awk '/=>/ && $3 ~ /^\// {print $1" "$3}' | LC_ALL=C sort -u > /tmp/dk_need.txt
# the sonames the device has (ldconfig -p there): DEVICE_SONAMES, default the list this kit was built against
LC_ALL=C sort -u "${DEVICE_SONAMES:-$SRC/device-sonames.txt}" > /tmp/dk_dev.txt
LC_ALL=C join -v1 /tmp/dk_need.txt /tmp/dk_dev.txt | grep -v -E '^(libc\.so|libm\.so|ld-linux|libdl\.so|libpthread\.so|librt\.so|libonnxruntime)' > /tmp/dk_missing.txt || true
while read -r so path; do cp -L "$path" "$STAGE/lib/$so"; done < /tmp/dk_missing.txt
for f in "${EXTRA[@]}"; do cp -L "$f" "$STAGE/lib/$(basename "$f")"; done
echo "libs copied: $(ls "$STAGE/lib" | wc -l)"

# the kit's own scripts
cp $SRC/run.sh "$STAGE/run.sh"

fi
# compress, split, manifest
if [ "${APP_ONLY:-}" != 1 ]; then
rm -rf $DK/p[0-9]*
[ "${SPLIT_ONLY:-}" = 1 ] || { rm -f /tmp/dk_kit.tar.xz; tar -C "$STAGE" -cf - . | xz -9e -T2 > /tmp/dk_kit.tar.xz; }
SIZE=$(stat -c %s /tmp/dk_kit.tar.xz)
N=$(( (SIZE + PART_MIB*1048576 - 1) / (PART_MIB*1048576) ))
mkdir -p /tmp/dk_split && rm -f /tmp/dk_split/*
split -n "$N" -d -a 1 --numeric-suffixes=1 /tmp/dk_kit.tar.xz /tmp/dk_split/chunk.
(cd /tmp/dk_split && sha256sum chunk.* > manifest && echo "$N" > count && sha256sum /tmp/dk_kit.tar.xz | cut -d' ' -f1 > whole)
for i in $(seq 1 "$N"); do
  mkdir -p $DK/p$i
  mv /tmp/dk_split/chunk.$i $DK/p$i/
  cp /tmp/dk_split/{manifest,count,whole} $DK/p$i/
  cp $SRC/go.sh $DK/p$i/go.sh
done
echo "kit.tar.xz: $SIZE bytes in $N part(s)"
fi
# the small, often rebuilt part: bundle, run.sh, vkprobe -> app.tar.xz in the last part (extracted over the kit every time)
N=$(cat $DK/p1/count)
rm -rf /tmp/dk_app && mkdir -p /tmp/dk_app/app/k/i/t/s /tmp/dk_app/bin
gcc -O2 -o /tmp/dk_app/bin/vkprobe "$SRC/vkprobe.c" -ldl
(cd $REPO && node_modules/.bin/esbuild scripts/device-kit/kit.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile=/tmp/dk_app/app/k/i/t/s/kit.mjs --external:onnxruntime-node --external:playwright-core --external:'@duckdb/*' \
  --banner:js="import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);" \
  --log-level=warning)
cp $SRC/run.sh /tmp/dk_app/run.sh
# glvnd and the Vulkan loader as Debian packages: run.sh unpacks them into / on a GPU machine (the NVIDIA ICD would not
# create an instance with the loader only on LD_LIBRARY_PATH)
mkdir -p /tmp/dk_app/gl /tmp/dk_apt/partial
(cd /tmp/dk_app/gl && o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/dk_apt' && apt-get $o update -qq && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
tar -C /tmp/dk_app -cf - . | xz -9 > $DK/p$N/app.tar.xz
for i in $(seq 1 "$N"); do cp $SRC/go.sh $DK/p$i/go.sh; done
du -b $DK/p*/chunk.*
