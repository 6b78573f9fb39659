#!/usr/bin/env bash
# Two builds of the catalog against each other on the uncached listing (issue 17's A/B rows):
# one 100,000-product PostgreSQL seed made by the first build and copied for the second
# (`CREATE DATABASE ... TEMPLATE`, so a build with newer migrations moves only its own copy
# forward), then ROUNDS rounds alternating the builds, each serving `{ __typename }` and
# `products(first: 50)` (the page of `bench/lib.sh`) with no cache, measured with oha,
# with the CPU the catalog and PostgreSQL spent per page read from /proc/<pid>/stat. A machine's
# speed drifts over minutes; alternating in one sitting is what makes two builds comparable.
#
# Run with: bench/catalog_ab.sh DIR_A DIR_B   (each a directory holding release builds of
# commerce-stack and commerce-catalog; DURATION (s) per measurement, ROUNDS, CONNECTIONS)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source bench/lib.sh

[ $# -eq 2 ] || { echo "usage: $0 DIR_A DIR_B" >&2; exit 2; }
DIRS=("$(realpath "$1")" "$(realpath "$2")")
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-2}"
CONNECTIONS="${CONNECTIONS:-50}"
PORT=4202

command -v oha >/dev/null || cargo install oha --locked
install_missing
start_services
trap 'kill $(jobs -p) 2>/dev/null || true; stop_services' EXIT
psql=("$(pg_bin)/psql" -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres)
database_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/ab_$1"; }
export COMMERCE_LOG_FILTER=warn COMMERCE_READ_CACHE=false COMMERCE_SUBGRAPH_RESPONSE_CACHE=false

start_catalog() { # build (0 or 1) -> CATALOG_PID
  DATABASE_URL="$(database_url "$1")" COMMERCE_LISTEN="127.0.0.1:$PORT" \
    "${DIRS[$1]}/commerce-catalog" &
  CATALOG_PID=$!
  wait_ready "http://127.0.0.1:$PORT"
}
stop_catalog() { kill "$CATALOG_PID"; wait "$CATALOG_PID" 2>/dev/null || true; }

"${psql[@]}" -c 'CREATE DATABASE ab_0'
log "seeding with ${DIRS[0]}"
DATABASE_URL="$(database_url 0)" "${DIRS[0]}/commerce-stack" --demo large --seed-only >/dev/null
# The catalog publishes the seed's events once; both copies start from an empty outbox.
start_catalog 0
wait_drained ab_0 catalog
stop_catalog
# The catalog's connections may take a moment to end, and a template must have none.
for _ in $(seq 50); do
  "${psql[@]}" -c 'CREATE DATABASE ab_1 TEMPLATE ab_0' 2>/dev/null && break
  sleep 0.2
done

ticks() { # pids... -> their user + system CPU ticks
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
postgres_pids() { local main; main="$(head -1 "$TEST_TMP/pg/postmaster.pid")"; echo "$main" $(pgrep -P "$main"); }

measure() { # body -> RPS, catalog µs per request, PostgreSQL µs per request (tab-separated)
  local hz catalog0 postgres0 out
  hz="$(getconf CLK_TCK)"
  oha -z 3s -c "$CONNECTIONS" --no-tui --output-format quiet -m POST \
    -H 'content-type: application/json' -d "$1" "http://127.0.0.1:$PORT/graphql"
  catalog0="$(ticks "$CATALOG_PID")"; postgres0="$(ticks $(postgres_pids))"
  out="$(oha -z "${DURATION}s" -c "$CONNECTIONS" --no-tui --output-format json -w -m POST \
    -H 'content-type: application/json' -d "$1" "http://127.0.0.1:$PORT/graphql")"
  python3 - "$out" $(($(ticks "$CATALOG_PID") - catalog0)) \
    $(($(ticks $(postgres_pids)) - postgres0)) "$hz" <<'PY'
import json, sys
raw, catalog, postgres, hz = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
codes = raw.get("statusCodeDistribution", {})
if set(codes) != {"200"} or raw.get("errorDistribution"):
    sys.exit(f"failed requests: {codes} {raw.get('errorDistribution')}")
rps = raw["summary"]["requestsPerSec"]
done = sum(codes.values())
print(f"{rps:.0f}\t{catalog / hz / done * 1e6:.0f}\t{postgres / hz / done * 1e6:.0f}")
PY
}

echo "| round | build | \`{ __typename }\` RPS | \`products(first: 50)\` RPS | ratio | catalog µs / page | PostgreSQL µs / page |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for build in 0 1; do
    start_catalog "$build"
    floor_row="$(measure "$FLOOR")"
    page_row="$(measure "$PAGE")"
    IFS=$'\t' read -r floor _ _ <<<"$floor_row"
    IFS=$'\t' read -r page catalog postgres <<<"$page_row"
    stop_catalog
    ratio="$(python3 -c "print(f'{$page / $floor:.1%}')")"
    echo "| $round | $(basename "${DIRS[$build]}") | $floor | $page | $ratio | $catalog | $postgres |"
  done
done
