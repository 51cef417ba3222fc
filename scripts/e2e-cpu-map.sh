#!/usr/bin/env bash
# Where the E2E suite's time goes: runs each E2E file alone (one Vitest run per file) and prints
# its wall time and the CPU seconds the whole machine spent meanwhile (Linux /proc/stat: Node,
# Chromium and its GPU/utility processes together). npm test is CPU-bound on 2 cores, so the CPU
# column, not the wall column, is what a file costs the suite. Each run includes Vitest's start and
# the library build of the global setup (about 9 CPU s: see the smallest files).
# A file that fails keeps its Vitest output in test-results/e2e-cpu-map/ (flakes show up here).
# Usage: npm run build:site && bash scripts/e2e-cpu-map.sh [test files…]   (default: every E2E file)
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.html ] || { echo "dist/ is missing: run npm run build:site first" >&2; exit 1; }
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(ls test/e2e/*.test.ts test/security/*.test.ts test/faults/*.test.ts)
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
hz=$(getconf CLK_TCK)
logs=test-results/e2e-cpu-map
mkdir -p "$logs"
printf '%-42s %8s %8s  %s\n' file wall_s cpu_s result
for f in "${files[@]}"; do
  b0=$(busy); t0=$(date +%s%N)
  log="$logs/$(basename "$f" .ts).log"
  if npx vitest run --config vitest.e2e.config.ts "$f" >"$log" 2>&1; then r=passed; rm -f "$log"; else r="FAILED (see $log)"; fi
  b1=$(busy); t1=$(date +%s%N)
  printf '%-42s %8.1f %8.0f  %s\n' "$f" "$(( (t1 - t0) / 1000000 ))e-3" "$(( (b1 - b0) / hz ))" "$r"
done
