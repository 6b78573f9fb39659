# Shared by the load benchmarks of the catalog and the stack (after scripts/services.sh).
# Source it; it defines the benchmarks' page and floor queries and functions reading
# CONNECTIONS and DURATION (s) from the caller.

# The storefront's listing page that every catalog benchmark measures, and the HTTP + GraphQL
# floor it is measured against on the same server.
PAGE='{"query":"{ products(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node { id slug name imageUrls variants { id sku name } } } } }"}'
FLOOR='{"query":"{ __typename }"}'

oha_row() { # name url body -> name, RPS, p50, p95, p99, errors (tab-separated)
  local name="$1" url="$2" body="$3" out
  oha -z 5s -c "$CONNECTIONS" --no-tui --output-format quiet -m POST \
    -H 'content-type: application/json' -d "$body" "$url"
  # -w: requests in flight at the deadline finish instead of counting as errors.
  out="$(oha -z "${DURATION}s" -c "$CONNECTIONS" --no-tui --output-format json -w -m POST \
    -H 'content-type: application/json' -d "$body" "$url")"
  python3 - "$name" "$out" <<'PY'
import json, sys
name, raw = sys.argv[1], json.loads(sys.argv[2])
s, p = raw["summary"], raw["latencyPercentiles"]
codes = raw.get("statusCodeDistribution", {})
errors = sum(v for k, v in codes.items() if k != "200") + sum(raw.get("errorDistribution", {}).values())
print(f"{name}\t{s['requestsPerSec']:.0f}\t{p['p50']*1000:.2f}\t{p['p95']*1000:.2f}\t{p['p99']*1000:.2f}\t{errors}")
PY
}

wait_ready() { for _ in $(seq 300); do curl -sf "$1/ready" >/dev/null && return; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

# The seed leaves every domain's creation events in its outbox; a stack that starts publishes
# them, and each moves the caches on (a page's count is recounted). Measure once they are out.
wait_drained() { # database [schema]: that domain's outbox only (its relay alone runs)
  local psql=("$(pg_bin)/psql" -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1") sql pending
  sql="$("${psql[@]}" -c "SELECT string_agg(format('SELECT count(*) FROM %I.event_outbox WHERE published_at IS NULL', table_schema), ' UNION ALL ') FROM information_schema.tables WHERE table_name = 'event_outbox' AND table_schema LIKE '${2:-%}'")"
  for _ in $(seq 600); do
    pending="$("${psql[@]}" -c "SELECT sum(count) FROM ($sql) t")"
    [ "$pending" = 0 ] && return
    sleep 1
  done
  echo "events still pending: $pending" >&2; exit 1
}
