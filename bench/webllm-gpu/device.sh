#!/usr/bin/env bash
# Runs on the GPU machine (see docs/performance.md, "Model side"): unpacks what prepare.sh staged
# next to this file and runs the benchmark; the JSON goes to $OUT/webllm-gpu.json (or /tmp).
# Extra arguments go to run.mjs (--prompt 64,1000 --decode 128 --repeats 3 by default).
# Locally, without a GPU: SKIP_DEBS=1 VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/webllm-gpu-bundle
rm -rf "$work" && mkdir -p "$work"
tar -xJf "$here/bundle.tar.xz" -C "$work"
if [ -z "${SKIP_DEBS:-}" ]; then
  for f in "$here"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
cd "$work"
./node --version
exec ./node run.mjs --lib lib.wasm --tokenizer tokenizer --work /tmp/webllm-gpu-work --json "${OUT:-/tmp}/webllm-gpu.json" "$@"
