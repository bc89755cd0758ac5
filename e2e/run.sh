#!/usr/bin/env bash
# Browser end-to-end tests: Debian's headless Chromium at a phone size (390×844), driven by
# playwright-core under Node's test runner, against the real doorstep binary serving the demo
# community from a fresh SQLite database. Installs what it lacks (Chromium, CJK fonts, npm
# packages) and nothing it already has. Prints TAP ending in "# pass N" / "# fail N"; exits
# non-zero when a test fails. Screenshots go to docs/screenshots/ (E2E_SCREENSHOTS=dir elsewhere,
# E2E_SCREENSHOTS= for none).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Report a failure before any test could run as one failed test, so the totals show it.
setup_failed() {
  echo "not ok 1 - e2e setup: $*"
  echo "# pass 0"
  echo "# fail 1"
  exit 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# 1. Chromium and CJK fonts from Debian, only when missing.
if [ ! -x /usr/bin/chromium ] || ! installed fonts-noto-cjk || ! command -v node >/dev/null 2>&1; then
  echo "# e2e: installing Debian packages (chromium fonts-noto-cjk)"
  pkgs="chromium fonts-noto-cjk"
  command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
  apt_log=$(mktemp)
  # shellcheck disable=SC2086
  if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq $pkgs; } >"$apt_log" 2>&1; then
    sed 's/^/# /' "$apt_log" | tail -n 30
    rm -f "$apt_log"
    setup_failed "apt-get install $pkgs failed"
  fi
  rm -f "$apt_log"
fi

# 2. playwright-core and axe-core from npm (never a browser download), only when one is missing.
if [ ! -d e2e/node_modules/playwright-core ] || [ ! -f e2e/node_modules/axe-core/axe.min.js ]; then
  echo "# e2e: npm ci"
  npm_log=$(mktemp)
  if ! (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >"$npm_log" 2>&1; then
    sed 's/^/# /' "$npm_log" | tail -n 30
    rm -f "$npm_log"
    setup_failed "npm ci failed"
  fi
  rm -f "$npm_log"
fi

# 3. The server binary (usually already built by the test run).
build_log=$(mktemp)
if ! cargo build -p doorstep --locked >"$build_log" 2>&1; then
  sed 's/^/# /' "$build_log" | tail -n 40
  rm -f "$build_log"
  setup_failed "cargo build -p doorstep failed"
fi
rm -f "$build_log"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/doorstep"

# 4. The demo community on a free loopback port, from a fresh database; stopped on any exit.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-e2e.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port"
"$bin" --db "sqlite://$tmp/e2e.db" serve --demo --addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server_pid=$!

healthy() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$base/healthz"; }
up=0
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if healthy; then up=1; break; fi
  sleep 0.5
done
if [ "$up" != 1 ]; then
  sed 's/^/# server: /' "$tmp/server.log" | tail -n 30
  setup_failed "server did not answer $base/healthz"
fi

# 5. The tests.
status=0
E2E_BASE_URL="$base" E2E_SCREENSHOTS="${E2E_SCREENSHOTS-$root/docs/screenshots}" TMPDIR="$tmp" \
  node --test --test-reporter=tap e2e/tests/*.test.mjs || status=$?
if [ "$status" != 0 ]; then
  sed 's/^/# server: /' "$tmp/server.log" | tail -n 20
fi
exit "$status"
