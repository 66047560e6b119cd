#!/usr/bin/env bash
# A virtual warehouse: N NUCs in network namespaces running nucmesh with the k3s stand-in, for
# trying nucmesh without hardware (as root). The logic is in test/tools/virtual-warehouse/ (see
# --help); this wrapper builds first when the compiled code is missing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tool=$repo/dist/test/tools/virtual-warehouse/main.js
if [ ! -f "$tool" ] || [ ! -f "$repo/dist/src/cli/bin.js" ] || [ ! -f "$repo/dist/test/k3s-stand-in/main.js" ]; then
  echo "virtual-warehouse: building (npx tsc -p tsconfig.json)" >&2
  [ -d "$repo/node_modules" ] || (cd "$repo" && npm ci --no-audit --no-fund)
  (cd "$repo" && npx tsc -p tsconfig.json)
fi
exec node "$tool" "$@"
