#!/usr/bin/env bash
# The main job on an embedded default: no API key, no GPU, no download. Extra arguments go to `vantage demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/src/cli.js demo "$@"
