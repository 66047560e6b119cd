#!/usr/bin/env bash
# The boot tests under load: the direct-kernel and UEFI boots (default CPU, and -cpu max, and
# the UEFI boot with a second nucmesh stick), RUNS times in a row (default 3), one test file at
# a time, while a spinning process keeps the machine's other core busy. Prints each run's boot
# times and verdict; each run's full output is kept in .cache/vm-boots/run-N.log.
#   sudo bench/vm-boots.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
npx tsc -p tsconfig.json
node dist/test/vm/prepare-images.js
mkdir -p .cache/vm-boots
sh -c 'while :; do :; done' &
spinner=$!
trap 'kill "$spinner"' EXIT
failed=0
for i in $(seq 1 "$runs"); do
  log=.cache/vm-boots/run-$i.log
  start=$SECONDS
  if node --test --test-concurrency=1 --test-reporter=spec dist/test/vm/direct-boot.test.js dist/test/vm/uefi-boot.test.js >"$log" 2>&1; then verdict=pass; else verdict=FAIL; failed=1; fi
  echo "run $i: $verdict in $((SECONDS - start)) s"
  grep -E '# boot to|# (pass|fail) ' "$log" | sed 's/^/  /'
done
exit "$failed"
