#!/bin/bash
# The kit's runner, on the device: bash $KIT/run.sh [all|gpu|workers|check]. Logs and JSON go to $OUT (or $KIT/out).
set -uo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
WHAT=${1:-all}
O=${OUT:-$KIT/out}
mkdir -p "$O" "$KIT/models" "$KIT/fonts/cache" "$KIT/home"
export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; done
cat > "$KIT/fonts/fonts.conf" <<XML
<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>$KIT/fonts</dir><cachedir>$KIT/fonts/cache</cachedir></fontconfig>
XML
export FONTCONFIG_FILE="$KIT/fonts/fonts.conf"
export BROWSER_POOL_CHROMIUM="$KIT/chromium/chromium"
export BROWSER_POOL_MODEL_CACHE="$KIT/models"
export KIT_RESULTS="$O"
export HOME="${HOME:-$KIT/home}"
# The NVIDIA Vulkan ICD: the driver's json if found, else one of ours naming the driver's libGLX_nvidia.so.0.
ICD=""
for f in ${VK_ICD_JSON:-} /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
  /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && { ICD=$f; break; }
done
[ -z "$ICD" ] && ICD=$(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan /usr/local/share -maxdepth 5 -name 'nvidia_icd*.json' 2>/dev/null | head -1)
if [ -z "$ICD" ]; then
  GLX=libGLX_nvidia.so.0
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu; do [ -e "$d/libGLX_nvidia.so.0" ] && { GLX="$d/libGLX_nvidia.so.0"; break; }; done
  ICD="$KIT/nvidia_icd.json"
  echo "{\"file_format_version\":\"1.0.1\",\"ICD\":{\"library_path\":\"$GLX\",\"api_version\":\"1.4.312\"}}" > "$ICD"
  echo "(no nvidia_icd.json found on the machine: wrote $ICD)"
fi
export KIT_NVIDIA_ICD="$ICD"
# glvnd and the Vulkan loader system-wide (dpkg -x into /, as root, only where an NVIDIA driver is mounted): the driver's
# ICD failed to create an instance with the loader found only through LD_LIBRARY_PATH.
if [ -d /usr/local/nvidia ] && [ "$(id -u)" = 0 ] && compgen -G "$KIT/gl/*.deb" > /dev/null; then
  for f in "$KIT"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
unset VK_ICD_FILENAMES VK_DRIVER_FILES
N="$KIT/node"
APP="$KIT/app/k/i/t/s/kit.mjs"
cd "$KIT/app"

killkit() { for p in $(pgrep -f "$KIT/chromium/chromium" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; }

{
  echo "== $(date -u) $(uname -r) cores=$(nproc) $(uptime)"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  ls -la /dev/nvidia* 2>&1 | head -8
  echo "== ICD $ICD:"; cat "$ICD"; echo
  echo "== node $("$N" --version); chromium: $("$KIT/chromium/chromium" --version 2>&1 | tail -1)"
  echo "== libs the kit's chromium cannot resolve (should be none):"
  ldd "$KIT/chromium/chromium" "$KIT/chromium/libvk_swiftshader.so" "$KIT/chromium/libvulkan.so.1" "$N" "$KIT"/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/*.node 2>&1 | grep -i "not found" | sort -u
  echo "== NVIDIA ICD lib deps:"
  for l in libGLX_nvidia.so.0 libEGL_nvidia.so.0; do p=$(ls /usr/local/nvidia/lib*/$l 2>/dev/null | head -1); [ -n "$p" ] && ldd "$p" | grep -i "not found" | sed "s|^|$l: |"; done
  echo "== vkprobe (VK_LOADER_DEBUG=error,warn,driver):"
  VK_ICD_FILENAMES="$ICD" VK_DRIVER_FILES="$ICD" VK_LOADER_DEBUG=error,warn,driver timeout 60 "$KIT/bin/vkprobe" 2>&1 | tail -60
  echo "== vkprobe with the loader's default ICD search:"
  timeout 60 "$KIT/bin/vkprobe" 2>&1 | tail -8
} > "$O/sysinfo.txt" 2>&1
sed -n '/^== ICD/,/^== node/p' "$O/sysinfo.txt" | head -3
sed -n '/cannot resolve/,/^== NVIDIA/p;/^== NVIDIA/,/^== vkprobe/p' "$O/sysinfo.txt" | grep -v "^==" | sed 's/^/MISSING LIB: /' | head
sed -n '/^== vkprobe/,$p' "$O/sysinfo.txt" | grep -E "ERROR|loader:|instance version|vkCreate|vkEnumerate|^  \[" | cut -c1-200 | tail -10
[ "$WHAT" = check ] && exit 0

rc=0
if [ "$WHAT" = all ] || [ "$WHAT" = gpu ]; then
  echo "== gpu check (timeout ${GPU_TIMEOUT:-180}s) -> $O/gpu.log"
  timeout -k 10 "${GPU_TIMEOUT:-180}" "$N" "$APP" gpu ${GPU_ARGS:-} > "$O/gpu.log" 2>&1 || { rc=$?; echo "gpu check exit $rc"; }
  killkit
  grep -E "^probe|^page:|^Model runs|ran on|FAILED|skipped|webgpu vs wasm|^requestAdapter|^No hardware|^NVIDIA ICD|budget" "$O/gpu.log" | cut -c1-400
fi
if [ "$WHAT" = all ] || [ "$WHAT" = workers ]; then
  echo "== workers bench --quick (timeout ${WORKERS_TIMEOUT:-330}s) -> $O/workers.log"
  timeout -k 10 "${WORKERS_TIMEOUT:-330}" "$N" "$APP" workers ${WORKERS_ARGS:---quick} > "$O/workers.log" 2>&1 || { rc=$?; echo "workers bench exit $rc"; }
  killkit
  grep -v -E "^\s*$|^---" "$O/workers.log" | cut -c1-220 | tail -40
fi
if [ "$WHAT" = pool ]; then
  echo "== pool bench --quick (timeout ${POOL_TIMEOUT:-300}s) -> $O/pool.log"
  timeout -k 10 "${POOL_TIMEOUT:-300}" "$N" "$APP" pool --quick > "$O/pool.log" 2>&1 || { rc=$?; echo "pool bench exit $rc"; }
  killkit
  grep -v -E "^\s*$|^---" "$O/pool.log" | cut -c1-220 | tail -30
fi
echo "== done $(date -u) rc=$rc; files in $O: $(ls "$O" | tr '\n' ' ')"
exit $rc
