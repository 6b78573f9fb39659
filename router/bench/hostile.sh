#!/usr/bin/env bash
# Hostile-load benchmark: the release router (default configuration) on the benchmark's
# products supergraph and subgraphs, attacked by one shape at a time while a well-behaved
# client sends a storefront query at a low steady rate. Shapes: every request body in
# router/tests/fixtures/hostile/*.json (sent by oha from CONNECTIONS connections), slow bodies
# and slow headers (CONNECTIONS connections sending one byte a second), many slow connections
# (MANY of them) and a connection flood (CONNECTIONS workers opening and closing connections).
# For each: the well-behaved client's p95 against its p95 without an attack (measured in the
# same run, before and after the attacks), and the router's CPU time (per refused request or
# closed connection) and peak RSS during the attack, from /proc.
# Run with: router/bench/hostile.sh        (from the workspace root; needs `oha` and python3)
# Env: SECONDS_PER_SHAPE (10), CONNECTIONS (50), MANY (5000), RATE (20 requests/s for the
# well-behaved client), SLOW_SECONDS (35: past the default 30 s body deadline, so the slow
# shapes' refusals happen within it), FIXTURES (a glob of request bodies), OUT
# (router/bench/hostile.md), SKIP_BUILD.
set -euo pipefail

cd "$(dirname "$0")/../.."
SECONDS_PER_SHAPE="${SECONDS_PER_SHAPE:-10}"
CONNECTIONS="${CONNECTIONS:-50}"
MANY="${MANY:-5000}"
SLOW_SECONDS="${SLOW_SECONDS:-35}"
FIXTURES="${FIXTURES:-router/tests/fixtures/hostile/*.json}"
RATE="${RATE:-20}"
OUT="${OUT:-router/bench/hostile.md}"
BENCH=router/bench
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
ROUTER=127.0.0.1:5100

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p commerce-router --bin commerce-router --example bench_subgraphs

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}

"$TARGET_DIR/release/examples/bench_subgraphs" 5101 >/dev/null &
pids+=($!)
wait_port 5103
COMMERCE_ROUTER_SUBGRAPH_URL_ACCOUNTS=http://127.0.0.1:5101/graphql \
COMMERCE_ROUTER_SUBGRAPH_URL_INVENTORY=http://127.0.0.1:5102/graphql \
COMMERCE_ROUTER_SUBGRAPH_URL_PRODUCTS=http://127.0.0.1:5103/graphql \
COMMERCE_ROUTER_SUBGRAPH_URL_REVIEWS=http://127.0.0.1:5104/graphql \
  "$TARGET_DIR/release/commerce-router" --supergraph router/tests/fixtures/products.graphql \
  --listen "$ROUTER" >/dev/null 2>&1 &
router=$!
pids+=("$router")
wait_port 5100

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$router/stat"; }
status_kb() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$router/status"; }
probe() { python3 "$BENCH/hostile.py" probe "$ROUTER" "$1" "$RATE"; }

# One shape: the attack runs for `seconds` while the well-behaved client measures from its
# second 1 to 1 before its end. The attack command prints JSON: oha's, or hostile.py's counts.
shape() { # label refusal seconds attack-command...
  local label="$1" refused_as="$2" seconds="$3"; shift 3
  echo 5 >"/proc/$router/clear_refs" # the peak RSS starts again from the current RSS
  local rss0 c0 t0 c1 t1 hwm attack_out probe_out
  rss0=$(status_kb VmRSS); c0=$(cpu_ticks); t0=$(date +%s.%N)
  attack_out=$(mktemp)
  "$@" >"$attack_out" 2>/dev/null &
  local attacker=$!
  sleep 1
  probe_out=$(probe "$((seconds - 2))")
  wait "$attacker" || true
  c1=$(cpu_ticks); t1=$(date +%s.%N); hwm=$(status_kb VmHWM)
  python3 "$BENCH/hostile.py" row "$label" "$refused_as" "$attack_out" "$probe_out" "$BASE_P95" \
    "$((c1 - c0))" "$HZ" "$t0" "$t1" "$rss0" "$hwm"
  rm -f "$attack_out"
}

oha_attack() { # seconds body-file
  oha -z "${1}s" -c "$CONNECTIONS" --no-tui --output-format json -m POST \
    -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
    -D "$2" "http://$ROUTER/graphql"
}
py_attack() { # kind seconds connections
  python3 "$BENCH/hostile.py" attack "$1" "$ROUTER" "$2" "$3"
}

# Warm the router's caches and connections as in normal traffic.
probe 3 >/dev/null
baseline_before=$(probe "$SECONDS_PER_SHAPE")
BASE_P95=$(python3 "$BENCH/hostile.py" field p95 "$baseline_before")
{
  echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by the router, its subgraphs and the"
  echo "clients; the well-behaved client sends $RATE requests/s; attacks from $CONNECTIONS connections"
  echo "unless said; ${SECONDS_PER_SHAPE} s per request shape, $SLOW_SECONDS s per slow shape."
  echo "Without an attack, before them: $(python3 "$BENCH/hostile.py" summary "$baseline_before")."
  echo
  echo "| shape | router's answer | attack outcome | router CPU | router CPU per refusal | router peak RSS MB (change from its RSS before) | well-behaved p95 ms | p95 / p95 without attack | well-behaved failures |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for fixture in $FIXTURES; do
    [ -e "$fixture" ] || continue
    name=$(basename "$fixture" .json)
    shape "$name" "$(python3 "$BENCH/hostile.py" answer "$ROUTER" "$fixture")" "$SECONDS_PER_SHAPE" oha_attack "$SECONDS_PER_SHAPE" "$fixture"
  done
  shape "slow body, 1 byte/s" "408 REQUEST_TIMEOUT" "$SLOW_SECONDS" py_attack slow-body "$SLOW_SECONDS" "$CONNECTIONS"
  shape "slow headers, 1 byte/s" "closed unanswered" "$SLOW_SECONDS" py_attack slow-headers "$SLOW_SECONDS" "$CONNECTIONS"
  shape "$MANY slow connections (headers)" "closed unanswered" "$SLOW_SECONDS" py_attack slow-headers "$SLOW_SECONDS" "$MANY"
  shape "connection flood (open, close)" "-" "$SECONDS_PER_SHAPE" py_attack flood "$SECONDS_PER_SHAPE" "$CONNECTIONS"
  baseline_after=$(probe "$SECONDS_PER_SHAPE")
  echo
  echo "Without an attack, after them: $(python3 "$BENCH/hostile.py" summary "$baseline_after")."
} | tee "$OUT"
