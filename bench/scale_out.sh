#!/usr/bin/env bash
# Throughput of the production layout (issue 19) against the all-in-one stack, on this machine
# and in one run: both layouts run side by side on their own PostgreSQL databases and Redis
# namespaces (release builds, demo shop), and the storefront's category, search and product
# pages are sent through each one's router with ab, the two layouts alternating, two rounds.
# The same request repeats within a measurement, so the router's deduplication of identical
# subgraph fetches in flight works in both layouts alike (the response cache is off).
#
# Prints a Markdown table. Run with: bench/scale_out.sh   (DURATION (s), CONNECTIONS;
# BIN_DIR: a directory holding a release commerce-stack)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
BIN_DIR="${BIN_DIR:-}"
ONE=4400
MANY=4500

install_missing
command -v ab >/dev/null || apt-get install -y -qq apache2-utils >/dev/null
if [ -z "$BIN_DIR" ]; then
  log "building the release binary"
  cargo build --release --locked -p commerce-stack --bin commerce-stack
  BIN_DIR="${CARGO_TARGET_DIR:-target}/release"
fi

wait_ready() { for _ in $(seq 900); do curl -sf "$1/health" >/dev/null && return; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

start_services
WORK="$(mktemp -d /tmp/commerce-scale-out.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait; stop_services; rm -rf "$WORK"' EXIT
export REDIS_URL="$TESTKIT_REDIS_URL" COMMERCE_LOG_FILTER=warn

start() { # layout port [scale-out]
  local layout="$1" port="$2"; shift 2
  "$(pg_bin)/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE layout_$layout"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/layout_$layout" \
    COMMERCE_EVENTS_NAMESPACE="layout_$layout" COMMERCE_DATA_DIR="$WORK/$layout" \
    "$BIN_DIR/commerce-stack" --demo shop --apps off --listen "127.0.0.1:$port" "$@" >/dev/null &
  wait_ready "http://127.0.0.1:$port"
}
log "starting the all-in-one stack and the production layout"
start one "$ONE"
start many "$MANY" scale-out

# One request body per page, for slugs of the demo shop.
python3 - "$ONE" "$WORK" <<'PY'
import json, sys, urllib.request
port, work = sys.argv[1], sys.argv[2]
def doc(name):
    return open(f"schema/operations/storefront/{name}.graphql").read()
def post(query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(request))["data"]
products = post(doc("products"), {"first": 5, "currency": "EUR"})["products"]["edges"]
def listed(slug):
    page = post(doc("category_page"), {"slug": slug, "first": 20, "currency": "EUR"})
    return len(page["category"]["products"]["edges"])
slugs = [c["slug"] for c in post("{ categories { slug } }", {})["categories"]][:30]
category = max(slugs, key=listed)
pages = {
    "category": (doc("category_page"), {"slug": category, "first": 20, "currency": "EUR"}),
    "search": (doc("search_page"), {"search": products[0]["node"]["name"].split()[0], "currency": "EUR"}),
    "product": (doc("product_page"), {"slug": products[0]["node"]["slug"], "currency": "EUR"}),
}
for name, (query, variables) in pages.items():
    assert "errors" not in json.dumps(post(query, variables) or {}), name
    json.dump({"query": query, "variables": variables}, open(f"{work}/{name}.json", "w"))
PY

measure() { # page port -> "RPS p95"
  ab -q -k -c "$CONNECTIONS" -t "$DURATION" -n 10000000 -T application/json -p "$WORK/$1.json" \
    "http://127.0.0.1:$2/graphql" 2>/dev/null |
    awk '/^Requests per second/ {rps=$4} /^  95%/ {p95=$2} /^Non-2xx/ {bad=$3} /^Failed requests/ {failed=$3}
         END {printf "%s %s %d\n", rps, p95, bad + failed}'
}

echo "| page | one process RPS | scale-out RPS | scale-out / one | one p95 ms | scale-out p95 ms | errors |"
echo "|---|---|---|---|---|---|---|"
for page in category search product; do
  measure "$page" "$ONE" >/dev/null # warm-up
  measure "$page" "$MANY" >/dev/null
  rows=""
  for round in 1 2; do
    rows+="one $(measure "$page" "$ONE")"$'\n'
    rows+="many $(measure "$page" "$MANY")"$'\n'
  done
  python3 - "$page" "$rows" <<'PY'
import sys
page, rows = sys.argv[1], [r.split() for r in sys.argv[2].splitlines() if r.strip()]
def mean(layout, i):
    values = [float(r[i]) for r in rows if r[0] == layout]
    return sum(values) / len(values)
errors = sum(int(r[3]) for r in rows)
one, many = mean("one", 1), mean("many", 1)
print(f"| {page} | {one:.0f} | {many:.0f} | {many / one:.2f} | {mean('one', 2):.0f} | {mean('many', 2):.0f} | {errors} |")
PY
done
