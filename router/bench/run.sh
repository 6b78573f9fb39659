#!/usr/bin/env bash
# Gateway benchmark: router (inbound dedupe off, then on) vs the products subgraph directly
# (measured before and after the router runs).
# Run with: router/bench/run.sh            (from the workspace root; needs `oha` on PATH)
# Env: DURATION (default 20s), WARMUP (5s), CONNECTIONS (50), OUT (results file).
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-5s}"
CONNECTIONS="${CONNECTIONS:-50}"
OUT="${OUT:-router/bench/results.md}"
BENCH=router/bench
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p commerce-router --bin commerce-router --example bench_subgraphs
SUBGRAPHS_BIN="$TARGET_DIR/release/examples/bench_subgraphs"
ROUTER_BIN="$TARGET_DIR/release/commerce-router"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$SUBGRAPHS_BIN" 5101 >/dev/null &
pids+=($!)

wait_port() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}
wait_port 5103

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# oha --output-format json gives rps, latency percentiles and status codes. Compression is
# disabled for both targets (the subgraph never compresses), so both do the same work; -w
# lets requests in flight at the deadline finish instead of counting them as errors.
load() { # url body-file
  oha -z "$DURATION" -c "$CONNECTIONS" --no-tui --output-format json -w --disable-compression \
    -m POST -H 'content-type: application/json' -D "$2" "$1"
}
warm() {
  oha -z "$WARMUP" -c "$CONNECTIONS" --no-tui -w --disable-compression -m POST \
    -H 'content-type: application/json' -D "$2" "$1" >/dev/null
}
summary() { # label json [cpu% rss_mb hwm_mb]
  python3 - "$@" <<'PY'
import json, sys
label, raw = sys.argv[1], json.loads(sys.argv[2])
s, lat = raw["summary"], raw["latencyPercentiles"]
codes = raw.get("statusCodeDistribution", {})
ok = codes.get("200", 0)
errors = sum(v for k, v in codes.items() if k != "200") + sum(raw.get("errorDistribution", {}).values())
extra = sys.argv[3:] or ["-", "-", "-"]
print(f"| {label} | {s['requestsPerSec']:.0f} | {lat['p50']*1000:.2f} | {lat['p95']*1000:.2f} | "
      f"{lat['p99']*1000:.2f} | {ok} | {errors} | {extra[0]} | {extra[1]} | {extra[2]} |")
PY
}

run_router() { # label extra-args...
  local label="$1"; shift
  # The conformance suite's products supergraph, pointed at the benchmark's subgraphs.
  COMMERCE_ROUTER_SUBGRAPH_URL_ACCOUNTS=http://127.0.0.1:5101/graphql \
  COMMERCE_ROUTER_SUBGRAPH_URL_INVENTORY=http://127.0.0.1:5102/graphql \
  COMMERCE_ROUTER_SUBGRAPH_URL_PRODUCTS=http://127.0.0.1:5103/graphql \
  COMMERCE_ROUTER_SUBGRAPH_URL_REVIEWS=http://127.0.0.1:5104/graphql \
    "$ROUTER_BIN" --supergraph router/tests/fixtures/products.graphql --listen 127.0.0.1:5100 "$@" \
    >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port 5100
  local bytes
  bytes=$(curl -s -X POST -H 'content-type: application/json' --data @"$BENCH/query.json" http://127.0.0.1:5100/graphql | wc -c)
  echo "response size: $bytes bytes" >&2
  warm http://127.0.0.1:5100/graphql "$BENCH/query.json"
  local t0 c0 t1 c1 json
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  json=$(load http://127.0.0.1:5100/graphql "$BENCH/query.json")
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  local hz cpu rss hwm
  hz=$(getconf CLK_TCK)
  cpu=$(python3 -c "print(f'{100*($c1-$c0)/$hz/($t1-$t0):.0f}%')")
  rss=$(python3 -c "print(f'{$(rss_kb "$pid")/1024:.1f}')")
  hwm=$(python3 -c "print(f'{$(hwm_kb "$pid")/1024:.1f}')")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  summary "$label" "$json" "$cpu" "$rss" "$hwm"
}

ceiling() { # label
  warm http://127.0.0.1:5103/graphql "$BENCH/direct.json"
  summary "$1" "$(load http://127.0.0.1:5103/graphql "$BENCH/direct.json")"
}
rps() { awk -F'|' '{gsub(/ /, "", $3); print $3}' <<<"$1"; }

# The VM's speed drifts over minutes, so the ceiling is measured before and after the router
# runs and each router run is compared with the mean of the two.
{
  echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $CONNECTIONS connections, $DURATION after $WARMUP warm-up."
  echo
  echo "| target | RPS | p50 ms | p95 ms | p99 ms | 200s | errors | router CPU | router RSS MB | router peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  before=$(ceiling "products subgraph direct (ceiling, before)"); echo "$before"
  off=$(run_router "router, inbound dedupe off" --inbound-dedupe false); echo "$off"
  on=$(run_router "router, inbound dedupe on" --inbound-dedupe true); echo "$on"
  after=$(ceiling "products subgraph direct (ceiling, after)"); echo "$after"
  python3 - "$(rps "$before")" "$(rps "$after")" "$(rps "$off")" "$(rps "$on")" <<'PY'
import sys
before, after, off, on = map(float, sys.argv[1:])
ceiling = (before + after) / 2
print(f"\nRouter / ceiling (mean of {before:.0f} and {after:.0f}): "
      f"dedupe off {100 * off / ceiling:.1f}%, dedupe on {100 * on / ceiling:.1f}%.")
PY
} | tee "$OUT"
