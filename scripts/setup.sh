#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: system packages (when root and missing), npm dependencies
# (when node_modules is missing or older than package-lock.json), and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip   # onnxruntime-node would otherwise download CUDA libraries
say() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash .ci/install-system.sh >&2
elif ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  say "no lavapipe Vulkan driver found and not root: WebGPU will fall back to the TypeScript reference renderer"
  say "(as root: bash .ci/install-system.sh, or install mesa-vulkan-drivers >= 23)"
fi

if ! command -v redis-server >/dev/null; then
  say "no redis-server: the job queue's tests will be skipped (as root: bash .ci/install-system.sh)"
fi

stamp=node_modules/.vantage-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies…"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
fi

say "building…"
npx tsc -p tsconfig.build.json >&2
