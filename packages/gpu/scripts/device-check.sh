#!/usr/bin/env bash
# The @heed/gpu check on a real GPU: run from the repository root on an x86-64 machine with an
# NVIDIA GPU, no Node and no network, after `bash packages/gpu/scripts/prepare-device.sh` here
# filled packages/gpu/.device (carry that folder). It unpacks the carried Node and Dawn into
# /tmp, puts the Vulkan loader in place when the system has none, points Vulkan at the NVIDIA
# driver, and runs device-check.mjs: the WebGPU suite (conformance, reference cases, training)
# and the benchmarks beside the CPU backend. Everything lands in $OUT (default .device/out):
# device-check.log, summary.txt, suite.json, bench.json.
#   bash packages/gpu/scripts/device-check.sh
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
device="$here/.device"
out="${OUT:-$device/out}"
work="${TMPDIR:-/tmp}/heed-device"
mkdir -p "$out" "$work/webgpu/dist/linux-x64"
exec > >(tee -a "$out/device-check.log") 2>&1
echo "== heed device check $(date -u +%FT%TZ) on $(uname -m)"

unpack() { # unpack FILE.xz TARGET: xz if present, else Python's lzma
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

if [ ! -s "$device/node.xz" ] || [ ! -s "$device/device-check.mjs" ]; then
  echo "missing $device/node.xz or device-check.mjs: run packages/gpu/scripts/prepare-device.sh first and carry packages/gpu/.device"
  exit 2
fi
unpack "$device/node.xz" "$work/node" && chmod +x "$work/node"
cp "$device/webgpu/index.js" "$device/webgpu/package.json" "$work/webgpu/"
unpack "$device/webgpu/dawn.node.xz" "$work/webgpu/dist/linux-x64/dawn.node"
echo "node: $("$work/node" --version)"

# The Vulkan loader and the GL vendor-neutral libraries the NVIDIA ICD (libGLX_nvidia) links
# against: the system's, else Debian's packages unpacked into / (as the device notes say).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0 '; then
  for f in "$device"/debs/*.deb; do dpkg -x "$f" / && echo "unpacked $(basename "$f")"; done
  ldconfig
fi
ldconfig -p | grep 'libvulkan.so.1 ' || echo "warning: still no libvulkan.so.1"

# The NVIDIA Vulkan driver (its ICD file), unless the caller chose one.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

cd "$device"
timeout "${HEED_DEVICE_TIMEOUT:-230}" "$work/node" device-check.mjs --out="$out" --webgpu="$work/webgpu" --reference="$device/reference" --budget="${HEED_BENCH_BUDGET:-3}"
status=$?
echo "== device-check.mjs exited with $status"
exit $status
