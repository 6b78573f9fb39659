#!/usr/bin/env bash
# Throughput of the production layout (issue 19) against the all-in-one stack, on this machine
# and in one run: the storefront's category, search and product pages through the router with
# varied requests (stack/examples/read_path_load.rs: no two requests in flight the same), each
# layout on its own PostgreSQL database and Redis namespace, release builds.
#
# Prints a Markdown table. Run with: bench/scale_out.sh   (DURATION (s), CONNECTIONS, DEMO;
# BIN_DIR: a directory holding commerce-stack and read_path_load already built)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-32}"
DEMO="${DEMO:-shop}"
BIN_DIR="${BIN_DIR:-}"
ONE=4400
MANY=4500

install_missing
if [ -z "$BIN_DIR" ]; then
  log "building release binaries"
  cargo build --release --locked -p commerce-stack --bin commerce-stack --example read_path_load
  TARGET="${CARGO_TARGET_DIR:-target}/release"
  BIN_DIR="$(mktemp -d /tmp/commerce-scale-out-bin.XXXXXX)"
  cp "$TARGET/commerce-stack" "$TARGET/examples/read_path_load" "$BIN_DIR/"
fi

wait_ready() { for _ in $(seq 600); do curl -sf "$1/health" >/dev/null && return; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

start_services
trap 'kill $(jobs -p) 2>/dev/null; stop_services' EXIT
export REDIS_URL="$TESTKIT_REDIS_URL"
export COMMERCE_LOG_FILTER=warn
INPUTS="$(mktemp /tmp/commerce-scale-out-inputs.XXXXXX.json)"

# Starts a layout (`$1`: one, many) on port `$2` and measures each page through its router.
measure() {
  local layout="$1" port="$2" pid page
  "$(pg_bin)/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE layout_$layout"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/layout_$layout"
  export COMMERCE_EVENTS_NAMESPACE="layout_$layout"
  if [ "$layout" = one ]; then
    "$BIN_DIR/commerce-stack" --demo "$DEMO" --apps off --listen "127.0.0.1:$port" >/dev/null &
  else
    "$BIN_DIR/commerce-stack" --demo "$DEMO" --apps off --listen "127.0.0.1:$port" scale-out >/dev/null &
  fi
  pid=$!
  wait_ready "http://127.0.0.1:$port"
  [ -s "$INPUTS" ] || "$BIN_DIR/read_path_load" prepare --url "http://127.0.0.1:$((port + 1))/graphql" --out "$INPUTS"
  for page in category search product; do
    "$BIN_DIR/read_path_load" run --inputs "$INPUTS" --page "$page" --part full \
      --url "http://127.0.0.1:$port/graphql" --seconds "$DURATION" --connections "$CONNECTIONS" \
      | sed "s/^/$layout\t/"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

rows="$(measure one "$ONE"; measure many "$MANY")"
echo "| page | one process RPS | scale-out RPS | scale-out / one | one p95 ms | scale-out p95 ms | errors (one, scale-out) |"
echo "|---|---|---|---|---|---|---|"
python3 - "$rows" <<'PY'
import sys
rows = [r.split("\t") for r in sys.argv[1].splitlines() if r.strip()]
by = {(r[0], r[1]): r for r in rows}
for page in ("category", "search", "product"):
    one, many = by[("one", page)], by[("many", page)]
    print(f"| {page} | {one[2]} | {many[2]} | {float(many[2]) / float(one[2]):.2f} | {one[4]} | {many[4]} | {one[6]}, {many[6]} |")
PY
