#!/usr/bin/env bash
# Runs the npm scripts named as arguments side by side and fails if any of them fails. For the type
# check and the lint in `npm test`: each is single-threaded, so on 2 cores they take about half the
# time side by side (docs/performance.md, "The test suite").
set -u
pids=()
for script in "$@"; do
  npm run --silent "$script" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit $status
