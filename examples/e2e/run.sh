#!/usr/bin/env bash
# The browser tests from a fresh clone: Debian's Chromium (installed when missing; Playwright
# never downloads a browser here), the apps' and these tests' npm packages, the apps' builds,
# the stack binary, then Playwright against it (global-setup.ts starts it on free ports with a
# fresh data directory). Screenshots go to docs/screenshots/, figures to examples/e2e/results/.
#   examples/e2e/run.sh [playwright arguments...]
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "== installing Debian's chromium"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null
fi

install() { # npm ci unless node_modules matches the lock file already
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    echo "== npm ci in ${1#"$ROOT"/}"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

for app in storefront dashboard; do
  dir="$ROOT/examples/$app"
  [ -f "$dir/package.json" ] || continue
  install "$dir"
  echo "== building examples/$app"
  (cd "$dir" && npm run build --silent >/dev/null)
done
install "$HERE"

echo "== building the stack"
# As the workspace's tests build it (nextest, as scripts/test.sh runs it, builds this binary for
# the stack's own tests, with the dev-dependencies' features unified in): right after them this
# is a no-op, where `cargo build --bin` would rebuild every crate whose features differ.
(cd "$ROOT" && cargo test --workspace --locked --no-run --quiet)
export COMMERCE_STACK_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/commerce-stack"

node "$HERE/bundle-size.mjs"
echo "== playwright"
cd "$HERE"
rm -f results/metrics.json
npx playwright test "$@"
