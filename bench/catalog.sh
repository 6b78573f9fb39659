#!/usr/bin/env bash
# Load-tests `products(first: 50)` served directly by the catalog subgraph over 100,000 products,
# on SQLite and on PostgreSQL, with oha (50 connections, 20 s after a 5 s warm-up). In the same
# run it measures `{ __typename }` on the same server as the baseline (HTTP + GraphQL floor), and
# prints RPS, p50/p95/p99, errors and the ratio to the baseline as a Markdown table.
#
# Run with: bench/catalog.sh            (PRODUCTS=100000 DURATION=20s CONNECTIONS=50 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

PRODUCTS="${PRODUCTS:-100000}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-50}"
PORT=4101
PAGE='{"query":"{ products(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node { id slug name imageUrls variants { id sku name } } } } }"}'
FLOOR='{"query":"{ __typename }"}'

command -v oha >/dev/null || cargo install oha --locked
install_missing
log "building release binaries"
cargo build --release --locked -p commerce-stack -p commerce-catalog

load() { # name body -> one table row
  local name="$1" body="$2" out
  oha -z 5s -c "$CONNECTIONS" --no-tui --output-format quiet -m POST \
    -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PORT/graphql"
  # -w: requests in flight at the deadline finish instead of counting as errors.
  out="$(oha -z "$DURATION" -c "$CONNECTIONS" --no-tui --output-format json -w -m POST \
    -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PORT/graphql")"
  python3 - "$name" "$out" <<'PY'
import json, sys
name, raw = sys.argv[1], json.loads(sys.argv[2])
s, p = raw["summary"], raw["latencyPercentiles"]
codes = raw.get("statusCodeDistribution", {})
errors = sum(v for k, v in codes.items() if k != "200") + sum(raw.get("errorDistribution", {}).values())
print(f"{name}\t{s['requestsPerSec']:.0f}\t{p['p50']*1000:.2f}\t{p['p95']*1000:.2f}\t{p['p99']*1000:.2f}\t{errors}")
PY
}

run_backend() { # label, then env for the catalog
  local label="$1"; shift
  log "$label: seeding $PRODUCTS products"
  local started=$SECONDS
  env "$@" target/release/commerce-stack --demo large --seed-only >/dev/null
  log "$label: seeded in $((SECONDS - started)) s"
  env "$@" COMMERCE_LISTEN="127.0.0.1:$PORT" COMMERCE_LOG_FILTER=warn target/release/commerce-catalog &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
  local floor page
  floor="$(load floor "$FLOOR")"
  page="$(load page "$PAGE")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$label" "$floor" "$page" <<'PY'
import sys
label, floor, page = sys.argv[1], sys.argv[2].split("\t"), sys.argv[3].split("\t")
ratio = float(page[1]) / float(floor[1])
print(f"| {label} | products(first: 50) | {page[1]} | {page[2]} | {page[3]} | {page[4]} | {page[5]} | {ratio:.1%} |")
print(f"| {label} | {{ __typename }} (baseline) | {floor[1]} | {floor[2]} | {floor[3]} | {floor[4]} | {floor[5]} | 100% |")
PY
}

RESULTS="$(mktemp)"
DATA="$(mktemp -d /tmp/commerce-bench.XXXXXX)"
start_services
trap 'stop_services; rm -rf "$DATA"' EXIT
{
  echo "| backend | query | RPS | p50 ms | p95 ms | p99 ms | errors | vs baseline |"
  echo "|---|---|---|---|---|---|---|---|"
  run_backend SQLite COMMERCE_DATA_DIR="$DATA"
  run_backend PostgreSQL DATABASE_URL="$TESTKIT_POSTGRES_URL"
} | tee "$RESULTS"
log "results in $RESULTS"
