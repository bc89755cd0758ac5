#!/usr/bin/env bash
# Hostile input at scale (issue 17): the property tests that throw generated hostile input at
# the parsers, the file imports and the API, run with CASES cases each instead of CI's smoke
# count. Not in CI (CI runs each with its default count). Prints each suite's result and time.
# The suites that touch storage run on SQLite, and on PostgreSQL too when DOORSTEP_TEST_PG_URL
# is set. A failing case's seed is kept in bench/fuzz-corpus/ (one file per suite) and replayed
# first on every later run, CI's included; commit it with the fix.
#
#   bench/fuzz.sh                 # 20,000 cases each
#   CASES=200000 bench/fuzz.sh
#   DOORSTEP_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres CASES=2000 bench/fuzz.sh
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
# Lab-result files and investigation lists (with their column mappings) through their use cases.
run cargo test -q -p doorstep-app --test it hostile_lab_lists
# Every JSON body the OpenAPI description lists, generated from its schema and mutated, sent
# as the district's admin over the demo data: never a 5xx, every refusal JSON with a message.
run cargo test -q -p doorstep-web --test it fuzz_bodies
