#!/usr/bin/env bash
# Subscriptions (issue 16), release build: the all-in-one stack on PostgreSQL for the subgraphs,
# and a router of its own in front of them (the `commerce-router` binary), so that its memory is
# the router's alone. stack/examples/subscriptions_load.rs then opens CONNECTIONS WebSockets
# with PER_CONNECTION `stockChanged` subscriptions each, reports the router's RSS before and
# after (memory per subscription), and with those open times ORDERS orders' status changes
# (capture, then cancel) from the staff mutation's answer to the subscriber's event.
#
# Run with: bench/subscriptions.sh
# Env: CONNECTIONS (200), PER_CONNECTION (50), ORDERS (50), PORT (stack's router, 4400; the
#      subgraphs take the next ports), ROUTER_PORT (the measured router, 4499),
#      BASELINE_ROUTER (another commerce-router binary, e.g. an older commit's: measured first,
#      in the same run and against the same stack, on ROUTER_PORT + 1),
#      BIN_DIR (commerce-stack, commerce-router and subscriptions_load already built: no build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

CONNECTIONS="${CONNECTIONS:-200}"
PER_CONNECTION="${PER_CONNECTION:-50}"
ORDERS="${ORDERS:-50}"
PORT="${PORT:-4400}"
ROUTER_PORT="${ROUTER_PORT:-4499}"
BASELINE_ROUTER="${BASELINE_ROUTER:-}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
# Every subscription's client socket, and the subgraph connections: past the usual 1,024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

install_missing
WORK="$(mktemp -d /tmp/commerce-bench-subscriptions.XXXXXX)"
if [ -n "${BIN_DIR:-}" ]; then
  cp "$BIN_DIR/commerce-stack" "$BIN_DIR/commerce-router" "$BIN_DIR/subscriptions_load" "$WORK/"
else
  log "building release binaries"
  touch stack/src/main.rs stack/examples/subscriptions_load.rs router/src/main.rs
  cargo build --release --locked -p commerce-stack -p commerce-router --bin commerce-stack \
    --bin commerce-router --example subscriptions_load
  cp "$TARGET_DIR/release/commerce-stack" "$TARGET_DIR/release/commerce-router" \
    "$TARGET_DIR/release/examples/subscriptions_load" "$WORK/"
fi

[ -z "$BASELINE_ROUTER" ] || cp "$BASELINE_ROUTER" "$WORK/baseline-router"

STACK_PID=""
ROUTER_PID=""
cleanup() {
  [ -n "$ROUTER_PID" ] && kill "$ROUTER_PID" 2>/dev/null && wait "$ROUTER_PID" 2>/dev/null
  [ -n "$STACK_PID" ] && kill "$STACK_PID" 2>/dev/null && wait "$STACK_PID" 2>/dev/null
  stop_services
  rm -rf "$WORK"
}
trap cleanup EXIT
start_services

log "starting the stack on :$PORT (PostgreSQL, demo shop)"
DATABASE_URL="$TESTKIT_POSTGRES_URL" RUST_LOG=warn COMMERCE_DATA_DIR="$WORK/data" \
  "$WORK/commerce-stack" --listen "127.0.0.1:$PORT" >"$WORK/stack.log" 2>&1 &
STACK_PID=$!
for _ in $(seq 600); do
  grep -q "router GraphiQL" "$WORK/stack.log" 2>/dev/null && break
  kill -0 "$STACK_PID" 2>/dev/null || { cat "$WORK/stack.log" >&2; exit 1; }
  sleep 0.2
done
# The measured router: every subgraph where the stack's banner says it listens.
ROUTER_ENV=()
while read -r name url; do
  ROUTER_ENV+=("COMMERCE_ROUTER_SUBGRAPH_URL_${name^^}=$url")
done < <(sed -n 's/^  \([a-z]*\) *GraphiQL \(http[^ ]*\).*/\1 \2/p' "$WORK/stack.log" | grep -v '^router ')

# Starts router binary $1 on port $2, warms it (plans, pools) and runs the load against it.
measure() {
  local bin="$1" port="$2" router="http://127.0.0.1:$2/graphql"
  env "${ROUTER_ENV[@]}" RUST_LOG=warn COMMERCE_ROUTER_HOT_RELOAD=false \
    "$bin" --supergraph schema/supergraph.graphql --listen "127.0.0.1:$port" \
    >"$WORK/router-$port.log" 2>&1 &
  ROUTER_PID=$!
  for _ in $(seq 300); do
    curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "$router" && break
    kill -0 "$ROUTER_PID" 2>/dev/null || { cat "$WORK/router-$port.log" >&2; exit 1; }
    sleep 0.2
  done
  for _ in $(seq 20); do
    curl -s -o /dev/null -H 'content-type: application/json' \
      -d '{"query":"{ products(first: 20) { edges { node { id } } } }"}' "$router"
  done
  echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  "$WORK/subscriptions_load" --url "$router" --connections "$CONNECTIONS" \
    --per-connection "$PER_CONNECTION" --orders "$ORDERS" --router-pid "$ROUTER_PID"
  kill "$ROUTER_PID" 2>/dev/null
  wait "$ROUTER_PID" 2>/dev/null || true
  ROUTER_PID=""
}

if [ -n "$BASELINE_ROUTER" ]; then
  log "baseline router: $BASELINE_ROUTER"
  measure "$WORK/baseline-router" "$((ROUTER_PORT + 1))"
fi
log "this tree's router"
measure "$WORK/commerce-router" "$ROUTER_PORT"
