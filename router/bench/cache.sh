#!/usr/bin/env bash
# Issue 17's router figures in one run, on the gateway benchmark's subgraphs and query:
# - this router and hive-router 0.0.43 (`HIVE_ROUTER`, default `hive_router` on PATH) with inbound
#   deduplication off, then on, alternating;
# - this router's response cache on a hit (the benchmark's 88 KB query, and a small one)
#   against `{ __typename }` through the same router.
# Run from the workspace root after building release binaries (see run.sh):
#   CARGO_TARGET_DIR=... router/bench/cache.sh
# Env: DURATION (default 10s), WARMUP (3s), CONNECTIONS (50), ROUNDS (2).
set -euo pipefail

cd "$(dirname "$0")/../.."
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-50}"
ROUNDS="${ROUNDS:-2}"
HIVE_ROUTER="${HIVE_ROUTER:-hive_router}"
BENCH=router/bench
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SUBGRAPHS_BIN="$TARGET_DIR/release/examples/bench_subgraphs"
ROUTER_BIN="$TARGET_DIR/release/commerce-router"
WORK=$(mktemp -d)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

"$SUBGRAPHS_BIN" 5101 >/dev/null &
pids+=($!)

wait_port() {
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}
wait_port 5104

# hive-router reads the subgraph URLs from the supergraph.
sed -e 's#127.0.0.1:4001#127.0.0.1:5101#' -e 's#127.0.0.1:4002#127.0.0.1:5102#' \
    -e 's#127.0.0.1:4003#127.0.0.1:5103#' -e 's#127.0.0.1:4004#127.0.0.1:5104#' \
    router/tests/fixtures/products.graphql >"$WORK/supergraph.graphql"
echo '{"query":"{ __typename }"}' >"$WORK/typename.json"
echo '{"query":"{ topProducts { upc name price } }"}' >"$WORK/small.json"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

load() { # url body-file
  oha -z "$DURATION" -c "$CONNECTIONS" --no-tui --output-format json -w --disable-compression \
    -m POST -H 'content-type: application/json' -D "$2" "$1"
}
warm() {
  oha -z "$WARMUP" -c "$CONNECTIONS" --no-tui -w --disable-compression -m POST \
    -H 'content-type: application/json' -D "$2" "$1" >/dev/null
}
summary() { # label json cpu% rss_mb
  python3 - "$@" <<'PY'
import json, sys
label, raw = sys.argv[1], json.loads(sys.argv[2])
s, lat = raw["summary"], raw["latencyPercentiles"]
codes = raw.get("statusCodeDistribution", {})
ok = codes.get("200", 0)
errors = sum(v for k, v in codes.items() if k != "200") + sum(raw.get("errorDistribution", {}).values())
print(f"| {label} | {s['requestsPerSec']:.0f} | {lat['p50']*1000:.2f} | {lat['p95']*1000:.2f} | "
      f"{ok} | {errors} | {sys.argv[3]} | {sys.argv[4]} |")
PY
}

measure() { # label pid body-file
  local label="$1" pid="$2" body="$3"
  warm http://127.0.0.1:5100/graphql "$body"
  local t0 c0 t1 c1 json hz cpu rss
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  json=$(load http://127.0.0.1:5100/graphql "$body")
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  hz=$(getconf CLK_TCK)
  cpu=$(python3 -c "print(f'{100*($c1-$c0)/$hz/($t1-$t0):.0f}%')")
  rss=$(python3 -c "print(f'{$(rss_kb "$pid")/1024:.1f}')")
  summary "$label" "$json" "$cpu" "$rss"
}

ours() { # label body-file extra-env...
  local label="$1" body="$2"; shift 2
  env COMMERCE_ROUTER_SUBGRAPH_URL_ACCOUNTS=http://127.0.0.1:5101/graphql \
    COMMERCE_ROUTER_SUBGRAPH_URL_INVENTORY=http://127.0.0.1:5102/graphql \
    COMMERCE_ROUTER_SUBGRAPH_URL_PRODUCTS=http://127.0.0.1:5103/graphql \
    COMMERCE_ROUTER_SUBGRAPH_URL_REVIEWS=http://127.0.0.1:5104/graphql "$@" \
    "$ROUTER_BIN" --supergraph router/tests/fixtures/products.graphql --listen 127.0.0.1:5100 \
    >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port 5100
  measure "$label" "$pid" "$body"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

hive() { # label dedupe(true|false)
  cat >"$WORK/hive.yaml" <<YAML
supergraph:
  source: file
  path: $WORK/supergraph.graphql
http:
  host: 127.0.0.1
  port: 5100
log:
  level: error
traffic_shaping:
  router:
    dedupe:
      enabled: $2
YAML
  ROUTER_CONFIG_FILE_PATH="$WORK/hive.yaml" "$HIVE_ROUTER" >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port 5100
  measure "$1" "$pid" "$BENCH/query.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $CONNECTIONS connections, $DURATION after $WARMUP warm-up."
echo
echo "| target | RPS | p50 ms | p95 ms | 200s | errors | router CPU | router RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  ours "ours, dedupe off (round $round)" "$BENCH/query.json" COMMERCE_ROUTER_INBOUND_DEDUPE=false
  hive "hive-router, dedupe off (round $round)" false
  ours "ours, dedupe on (round $round)" "$BENCH/query.json" COMMERCE_ROUTER_INBOUND_DEDUPE=true
  hive "hive-router, dedupe on (round $round)" true
done
cache=(COMMERCE_ROUTER_RESPONSE_CACHE=true COMMERCE_ROUTER_RESPONSE_CACHE_TTL_SECS=600)
for round in $(seq 1 "$ROUNDS"); do
  ours "ours, { __typename } (round $round)" "$WORK/typename.json" "${cache[@]}"
  ours "ours, response cache hit, 88 KB query (round $round)" "$BENCH/query.json" "${cache[@]}"
  ours "ours, response cache hit, small query (round $round)" "$WORK/small.json" "${cache[@]}"
done
