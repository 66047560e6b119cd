#!/usr/bin/env bash
# The whole test suite: host packages, lint, type-check and build, then unit tests,
# multi-host tests in network namespaces and the tests that boot the image in QEMU.
# Run as root on Debian (network namespaces, avahi, image build). `npm install-test`
# runs `npm install` first, then this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-host-deps.sh test
[ -d node_modules ] || npm ci --no-audit --no-fund

echo "== lint"; npx eslint .
echo "== type-check and build"; rm -rf dist; npx tsc -p tsconfig.json

files() { find "dist/test/$1" -name '*.test.js' 2>/dev/null | sort; }

echo "== unit tests"
mapfile -t unit < <(files unit)
node --test --test-reporter=spec "${unit[@]}"

mapfile -t system < <(files netns; files vm)
if [ ${#system[@]} -gt 0 ]; then
  echo "== system tests (network namespaces, QEMU), one file at a time"
  node --test --test-concurrency=1 --test-reporter=spec "${system[@]}"
fi
