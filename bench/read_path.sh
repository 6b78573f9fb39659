#!/usr/bin/env bash
# The storefront's read path (issue 17), on PostgreSQL with 100,000 products, release builds:
#
# 1. `products(first: 50)` (the page of `bench/lib.sh`) served by the catalog directly,
#    without the read-through caches (`COMMERCE_READ_CACHE=false`), with them warm, and with
#    the catalog's response cache too (`COMMERCE_SUBGRAPH_RESPONSE_CACHE`), each beside
#    `{ __typename }` on the same server (oha, 50 connections; the response cache answers both).
# 2. The storefront's category, search and product pages through the router of the all-in-one
#    stack against the catalog serving its part of the same pages directly (same process),
#    with varied requests (`stack/examples/read_path_load.rs`: different categories, cursors,
#    search terms and products; no two requests in flight the same), once with the router's
#    entity cache off and once on (`entity_cache_ttl_secs`).
#
# Prints Markdown tables. Run with: bench/read_path.sh   (PRODUCTS, DURATION (s), CONNECTIONS;
# BIN_DIR: a directory holding commerce-stack, commerce-catalog and read_path_load already built,
# so a shared machine's target directory is left alone; PAGES_ONLY=1: part 2 only, no oha;
# CATALOG_ONLY=1: part 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source bench/lib.sh

PRODUCTS="${PRODUCTS:-100000}"
DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-50}"
BIN_DIR="${BIN_DIR:-}"
PORT=4201
STACK_PORT=4300

PAGES_ONLY="${PAGES_ONLY:-}"
CATALOG_ONLY="${CATALOG_ONLY:-}"
[ -n "$PAGES_ONLY" ] || command -v oha >/dev/null || cargo install oha --locked
install_missing
if [ -z "$BIN_DIR" ]; then
  log "building release binaries"
  cargo build --release --locked -p commerce-stack -p commerce-catalog --bin commerce-stack \
    --bin commerce-catalog --example read_path_load
  TARGET="${CARGO_TARGET_DIR:-target}/release"
  BIN_DIR="$(mktemp -d /tmp/commerce-read-path-bin.XXXXXX)"
  cp "$TARGET/commerce-stack" "$TARGET/commerce-catalog" "$TARGET/examples/read_path_load" "$BIN_DIR/"
fi

ratio_rows() { # baseline-row subject-row... -> Markdown rows with the ratio to the first
  python3 - "$@" <<'PY'
import sys
rows = [r.split("\t") for r in sys.argv[1:]]
base = float(rows[0][1])
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {float(r[1]) / base:.1%} |")
PY
}

start_services
trap 'kill $(jobs -p) 2>/dev/null || true; stop_services' EXIT
"$(pg_bin)/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE read_path'
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/read_path"
export COMMERCE_LOG_FILTER=warn
log "seeding $PRODUCTS products (every domain)"
started=$SECONDS
"$BIN_DIR/commerce-stack" --demo large --seed-only >/dev/null
log "seeded in $((SECONDS - started)) s"

catalog_alone() {
  echo "| catalog directly | RPS | p50 ms | p95 ms | p99 ms | errors | vs \`{ __typename }\` |"
  echo "|---|---|---|---|---|---|---|"
  # No cache; the entity caches (warm after the first requests); and the response cache too.
  for caches in "false false" "true false" "true true"; do
    read -r read_cache responses <<<"$caches"
    local name="read_cache=$read_cache, subgraph_response_cache=$responses"
    COMMERCE_READ_CACHE=$read_cache COMMERCE_SUBGRAPH_RESPONSE_CACHE=$responses \
      COMMERCE_LISTEN="127.0.0.1:$PORT" "$BIN_DIR/commerce-catalog" &
    pid=$!
    wait_ready "http://127.0.0.1:$PORT"
    wait_drained read_path catalog
    floor="$(oha_row "{ __typename } ($name)" "http://127.0.0.1:$PORT/graphql" "$FLOOR")"
    page="$(oha_row "products(first: 50) ($name)" "http://127.0.0.1:$PORT/graphql" "$PAGE")"
    ratio_rows "$floor" "$page"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
}
[ -n "$PAGES_ONLY" ] || catalog_alone
[ -z "$CATALOG_ONLY" ] || exit 0

INPUTS="$(mktemp /tmp/read-path-inputs.XXXXXX.json)"
# The router without caches, then with its entity cache (prices, stock and ratings of products
# seen before come from the router; the catalog's part is asked every time).
for entity_ttl in 0 300; do
  COMMERCE_ENTITY_CACHE_TTL_SECS=$entity_ttl COMMERCE_STACK_LISTEN="127.0.0.1:$STACK_PORT" \
    "$BIN_DIR/commerce-stack" --demo none >/dev/null &
  stack=$!
  wait_ready "http://127.0.0.1:$((STACK_PORT + 1))"
  wait_drained read_path
  sleep 2
  [ -s "$INPUTS" ] || "$BIN_DIR/read_path_load" prepare \
    --url "http://127.0.0.1:$((STACK_PORT + 1))/graphql" --out "$INPUTS"
  echo
  echo "| page (varied requests), entity_cache_ttl_secs=$entity_ttl | RPS | p50 ms | p95 ms | p99 ms | errors | vs the catalog's part |"
  echo "|---|---|---|---|---|---|---|"
  for page in category search product; do
    run() { "$BIN_DIR/read_path_load" run --inputs "$INPUTS" --page "$page" \
      --connections "$CONNECTIONS" --seconds "$DURATION" "$@"; }
    part="$(run --part catalog --url "http://127.0.0.1:$((STACK_PORT + 1))/graphql")"
    full="$(run --part full --url "http://127.0.0.1:$STACK_PORT/graphql")"
    ratio_rows "$part" "$full"
  done
  kill "$stack"; wait "$stack" 2>/dev/null || true
done
rm -f "$INPUTS"
