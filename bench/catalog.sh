#!/usr/bin/env bash
# Load-tests `products(first: 50)` served directly by the catalog subgraph over 100,000 products,
# on SQLite and on PostgreSQL, with oha (50 connections, 20 s after a 5 s warm-up). In the same
# run it measures `{ __typename }` on the same server as the baseline (HTTP + GraphQL floor), and
# prints RPS, p50/p95/p99, errors and the ratio to the baseline as a Markdown table.
#
# Run with: bench/catalog.sh            (PRODUCTS=100000 DURATION=20 (s) CONNECTIONS=50 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source bench/lib.sh

PRODUCTS="${PRODUCTS:-100000}"
DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-50}"
PORT=4101

command -v oha >/dev/null || cargo install oha --locked
install_missing
log "building release binaries"
cargo build --release --locked -p commerce-stack -p commerce-catalog

run_backend() { # label, then env for the catalog
  local label="$1"; shift
  log "$label: seeding $PRODUCTS products"
  local started=$SECONDS
  env "$@" target/release/commerce-stack --demo large --seed-only >/dev/null
  log "$label: seeded in $((SECONDS - started)) s"
  env "$@" COMMERCE_LISTEN="127.0.0.1:$PORT" COMMERCE_LOG_FILTER=warn target/release/commerce-catalog &
  local pid=$!
  wait_ready "http://127.0.0.1:$PORT"
  local floor page
  floor="$(oha_row floor "http://127.0.0.1:$PORT/graphql" "$FLOOR")"
  page="$(oha_row page "http://127.0.0.1:$PORT/graphql" "$PAGE")"
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
