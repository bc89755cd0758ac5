#!/usr/bin/env bash
# The one test command (README, .ci/run): formatting, lints, and every test on SQLite, and on
# PostgreSQL too when DOORSTEP_TEST_PG_URL is set or a local PostgreSQL can be reached or started.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if [ -z "${DOORSTEP_TEST_PG_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if pg_up; then
    export DOORSTEP_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
  fi
fi
if [ -n "${DOORSTEP_TEST_PG_URL:-}" ]; then
  say "tests run on SQLite and on PostgreSQL ($DOORSTEP_TEST_PG_URL)"
else
  say "PostgreSQL not reachable: tests run on SQLite only (set DOORSTEP_TEST_PG_URL to include it)"
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# Self-reports through the real binary for two seconds: every acknowledged report stored once
# (bench/selfreport.sh is the benchmark; this only keeps its generator and the check working).
smoke=$(mktemp -d)
cargo build --locked -p doorstep -p doorstep-bench --bin doorstep --bin selfreport 2>&1 | tee -a "$log"
debug="${CARGO_TARGET_DIR:-target}/debug"
"$debug/selfreport" --doorstep "$debug/doorstep" --db "sqlite://$smoke/smoke.db" \
  --seconds 2 --floor-seconds 1 --conns 8 --clients 50 --label "self-report smoke" 2>&1 | tee -a "$log"
rm -rf "$smoke"
# Browser tests: real headless Chromium at a phone size against the real binary.
e2e_status=0
bash e2e/run.sh 2>&1 | tee -a "$log" || e2e_status=$?
# One closing line for the whole run: the sum over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "\nall tests: %d passed, %d failed\n", p, f }' "$log"
exit "$e2e_status"
