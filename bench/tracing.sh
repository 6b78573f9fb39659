#!/usr/bin/env bash
# What OpenTelemetry tracing costs (issue 19): a storefront page (`storefront/products`, 20
# products: catalog, inventory, pricing and reviews behind the router) through the all-in-one
# stack with tracing off, then on (every span exported to a local OTLP/HTTP sink), alternated
# ROUNDS times in one run with ab (CONNECTIONS keep-alive connections, DURATION seconds after a
# 5 s warm-up). Prints each run's requests per second and the on/off ratio.
#
# Run with: bench/tracing.sh   (PROFILE=debug skips the release build; ROUNDS=2 DURATION=20
# CONNECTIONS=8 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${PROFILE:-release}"
ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-8}"
ROUTER=127.0.0.1:4300
SINK_PORT=4319

command -v ab >/dev/null || apt-get install -y apache2-utils
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -p commerce-stack
else
  cargo build --locked -p commerce-stack
fi
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/commerce-stack"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# The collector's side: accepts every export, as fast as it comes.
python3 - "$SINK_PORT" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
python3 - "$WORK/body.json" <<'PY'
import json, sys
query = open("schema/operations/storefront/products.graphql").read()
json.dump({"query": query, "variables": {"first": 20, "currency": "EUR"}}, open(sys.argv[1], "w"))
PY
export COMMERCE_DATA_DIR="$WORK/data" COMMERCE_LOG_FILTER=warn
"$BIN" --seed-only --apps off >/dev/null

rps() { # tracing (off|on) -> requests per second
  local endpoint=""
  [ "$1" = on ] && endpoint="http://127.0.0.1:$SINK_PORT"
  COMMERCE_OTLP_ENDPOINT="$endpoint" "$BIN" --demo none --apps off --listen "$ROUTER" \
    >"$WORK/stack.log" 2>&1 &
  local stack=$!
  until curl -sf "http://$ROUTER/health" >/dev/null; do sleep 0.5; done
  local ab=(ab -q -k -c "$CONNECTIONS" -p "$WORK/body.json" -T application/json)
  "${ab[@]}" -t 5 "http://$ROUTER/graphql" >/dev/null
  "${ab[@]}" -t "$DURATION" "http://$ROUTER/graphql" | awk '/Requests per second/ { print $4 }'
  kill "$stack"
  wait "$stack" || true
}

echo "| round | tracing off (RPS) | tracing on (RPS) | on / off |"
echo "|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  off="$(rps off)"
  on="$(rps on)"
  echo "| $round | $off | $on | $(python3 -c "print(f'{$on / $off:.3f}')") |"
done
