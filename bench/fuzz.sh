#!/usr/bin/env bash
# Hostile input at scale (issue 17): the property tests that throw generated hostile input at
# the parsers, run with CASES cases each instead of CI's smoke count. Not in CI (CI runs each
# with its default count). Prints each suite's result and time.
#
#   bench/fuzz.sh                 # 20,000 cases each
#   CASES=200000 bench/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-20000}
export PROPTEST_CASES=$CASES
run() {
    local t0=$SECONDS
    "$@" 2>&1 | grep -E "^test result|panicked|minimal failing" || true
    echo "  ($((SECONDS - t0)) s, $CASES cases: $*)"
}
# Resident ID numbers, phones, buildings, quantities, policies… (core's proptest! blocks).
run cargo test -q -p doorstep-core --lib
# Whole roster files through the import: random bytes, broken CSV, GBK, cut workbooks.
run cargo test -q -p doorstep-app --test it hostile_files
