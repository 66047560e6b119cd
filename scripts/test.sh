#!/usr/bin/env bash
# The whole test suite: host packages, lint, type-check and build, then unit tests, the real
# Kubernetes parts on loopback, multi-host tests in network namespaces and the tests that boot
# the image in QEMU.
# Run as root on Debian (network namespaces, avahi, image build). `npm install-test`
# runs `npm install` first, then this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-host-deps.sh test
[ -d node_modules ] || npm ci --no-audit --no-fund

echo "== lint and format check"; npx eslint . && npx prettier --check .
echo "== type-check and build"; rm -rf dist; npx tsc -p tsconfig.json

# Test files below dist/test/$1 (none when the folder does not exist).
files() { [ -d "dist/test/$1" ] || return 0; find "dist/test/$1" -name '*.test.js' | sort; }

echo "== unit tests"
mapfile -t unit < <(files unit)
node --test --test-reporter=spec "${unit[@]}"

# The status page in Debian's Chromium (headless), against a running agent.
echo "== browser tests"
mapfile -t browser < <(files browser)
node --test --test-reporter=spec "${browser[@]}"

mapfile -t netns < <(files netns)
mapfile -t vm < <(files vm)
mapfile -t k8s < <(files k8s)
if [ ${#netns[@]} -eq 0 ] || [ ${#vm[@]} -eq 0 ] || [ ${#k8s[@]} -eq 0 ]; then
  echo "no system tests found below dist/test/netns, dist/test/vm or dist/test/k8s: the build is broken" >&2
  exit 1
fi
# The real Kubernetes parts (etcd, kube-apiserver, kube-controller-manager, kubemark), built
# from the Go module proxy at the pins of scripts/k8s-versions.env; seconds when built or when
# the Go caches in /var/cache/nucmesh/go survive. Without Go (exit 3) the test/k8s tests that
# need them report themselves skipped, saying what to install.
echo "== real Kubernetes parts"
k8s_bins=0
bash scripts/k8s-test-bins.sh || k8s_bins=$?
if [ "$k8s_bins" -eq 3 ]; then
  echo "Go is absent: the tests of the real Kubernetes parts will be skipped (install Go >= 1.26)"
elif [ "$k8s_bins" -ne 0 ]; then
  exit "$k8s_bins"
fi
echo "== real Kubernetes parts on loopback, one file at a time: ${#k8s[@]} files"
node --test --test-concurrency=1 --test-reporter=spec "${k8s[@]}"

# Timing-sensitive (liveness over real sockets): one file at a time, nothing else running.
echo "== system tests in network namespaces, one file at a time: ${#netns[@]} files"
node --test --test-concurrency=1 --test-reporter=spec "${netns[@]}"
# QEMU under TCG keeps one core busy per VM: the images first (built once, cached by their
# inputs), then two VM test files side by side on the two cores.
echo "== QEMU tests, two files at a time: ${#vm[@]} files"
node dist/test/vm/prepare-images.js
node --test --test-concurrency=2 --test-reporter=spec "${vm[@]}"
