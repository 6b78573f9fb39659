#!/usr/bin/env bash
# The purchase flow on PostgreSQL (issue 15), release build, every subgraph and the router as the
# all-in-one stack runs them (one process, each subgraph on its own port, calls between them over
# HTTP), DATABASE_URL on a throwaway PostgreSQL:
#  1. checkoutComplete through the router: guest carts prepared first (one line, email, address,
#     shipping method; no coupon: the demo's is once per signed-in customer), then checkouts at a fixed concurrency for a duration
#     (stack/examples/checkout_load.rs); checkouts/s, p50/p95/p99, the stack's CPU, and the time of
#     each remote saga step from the checkout subgraph's DEBUG "checkout step" log lines.
#  2. the storefront cart query (a guest cart of LINES lines) with oha, through the router and
#     against the checkout subgraph directly, same duration and connections, as a ratio.
#
# Run with: bench/checkout.sh
# Env: DURATION (20 s of checkouts and of each oha run), CONCURRENCY (16 checkouts in flight),
#      CARTS (carts prepared, 3000), CONNECTIONS (oha, 50), LINES (3), PORT (router, 4300; the
#      subgraphs take the next eight ports).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

DURATION="${DURATION:-20}"
CONCURRENCY="${CONCURRENCY:-16}"
CARTS="${CARTS:-3000}"
CONNECTIONS="${CONNECTIONS:-50}"
LINES="${LINES:-3}"
PORT="${PORT:-4300}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

command -v oha >/dev/null || cargo install oha --locked
install_missing
WORK="$(mktemp -d /tmp/commerce-bench-checkout.XXXXXX)"
log "building release binaries"
# A target directory shared by several worktrees holds whichever one's binary was linked last:
# relink ours (touch) and run copies.
touch stack/src/main.rs stack/examples/checkout_load.rs
cargo build --release --locked -p commerce-stack --bin commerce-stack --example checkout_load
cp "$TARGET_DIR/release/commerce-stack" "$TARGET_DIR/release/examples/checkout_load" "$WORK/"
STACK_BIN="$WORK/commerce-stack"
LOAD_BIN="$WORK/checkout_load"

STACK_PID=""
cleanup() {
  [ -n "$STACK_PID" ] && kill "$STACK_PID" 2>/dev/null && wait "$STACK_PID" 2>/dev/null
  stop_services
  rm -rf "$WORK"
}
trap cleanup EXIT
start_services

# JSON logs; the checkout saga's step times (DEBUG "checkout step") and everything else at WARN.
log "starting the stack on :$PORT (PostgreSQL, demo shop)"
DATABASE_URL="$TESTKIT_POSTGRES_URL" COMMERCE_LOG_FORMAT=json RUST_LOG=warn,commerce_checkout::service::saga=debug \
  COMMERCE_DATA_DIR="$WORK/data" "$STACK_BIN" --listen "127.0.0.1:$PORT" >"$WORK/stack.log" 2>&1 &
STACK_PID=$!
ROUTER="http://127.0.0.1:$PORT/graphql"
for _ in $(seq 300); do
  curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "$ROUTER" && break
  kill -0 "$STACK_PID" 2>/dev/null || { cat "$WORK/stack.log" >&2; exit 1; }
  sleep 0.2
done
# A taken port makes the stack pick a free one: read where checkout listens from its banner.
CHECKOUT="$(sed -n 's/^ *checkout *GraphiQL \(http[^ ]*\).*/\1/p' "$WORK/stack.log" | head -n1)"
[ -n "$CHECKOUT" ] || { echo "no checkout address in the stack's banner" >&2; exit 1; }

echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo

log "checkouts: $CARTS carts, $CONCURRENCY in flight, ${DURATION} s"
before_lines="$(wc -l <"$WORK/stack.log")"
# The load generator reads the stack's and the machine's CPU over the checkouts themselves.
"$LOAD_BIN" checkout --url "$ROUTER" --carts "$CARTS" --concurrency "$CONCURRENCY" \
  --duration "$DURATION" --stack-pid "$STACK_PID" 2>"$WORK/load.err" >"$WORK/load.out"
cat "$WORK/load.err" >&2
tail -n +"$((before_lines + 1))" "$WORK/stack.log" >"$WORK/saga.log"

python3 - "$(cat "$WORK/load.out")" "$WORK/saga.log" "$CONCURRENCY" <<'PY'
import json, sys
from collections import defaultdict
line, path, concurrency = sys.argv[1], sys.argv[2], sys.argv[3]
r = dict(kv.split("=") for kv in line.split())
print(f"checkoutComplete through the router, {concurrency} in flight, {r['seconds']} s:\n")
print("| checkouts | per second | p50 ms | p95 ms | p99 ms | max ms | not completed | stack CPU | machine busy |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {r['checkouts']} | {r['per_second']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['failed']} | {r['stack_cpu_percent']}% | {r['machine_busy_percent']}% |")
steps = defaultdict(list)
for raw in open(path):
    try:
        event = json.loads(raw)
    except ValueError:
        continue
    if event.get("message") == "checkout step":
        steps[event["step"]].append(float(event["elapsed_ms"]))
sagas = len(steps.get("reserve", [])) or 1
def pct(values, q):
    values = sorted(values)
    return values[max(0, min(len(values), int(-(-q * len(values) // 1))) - 1)]
order = ["reserve", "authorize", "place_order", "attach_payment", "commit_stock", "redeem_coupons"]
total = sum(sum(v) for v in steps.values()) / sagas
print(f"\nSaga steps over {sagas} checkouts (the checkout subgraph's own timing of each step):\n")
print("| step | calls per checkout | mean ms | p50 ms | p95 ms | ms per checkout | share |")
print("|---|---|---|---|---|---|---|")
for step in order + sorted(set(steps) - set(order)):
    v = steps.get(step)
    if not v:
        continue
    per = sum(v) / sagas
    print(f"| {step} | {len(v) / sagas:.1f} | {sum(v) / len(v):.2f} | {pct(v, .5):.2f} | {pct(v, .95):.2f} | {per:.2f} | {per / total:.0%} |")
print(f"| all steps | | | | | {total:.2f} | 100% |")
PY

# The cart query: a guest cart of LINES lines, the same request body on both sides.
log "cart query: oha -c $CONNECTIONS -z ${DURATION}s, router and checkout directly"
"$LOAD_BIN" cart --url "$ROUTER" --lines "$LINES" >"$WORK/cart.json"
oha_run() { # url duration format
  oha -z "$2" -c "$CONNECTIONS" --no-tui --output-format "$3" -w --disable-compression -m POST \
    -H 'content-type: application/json' -D "$WORK/cart.json" "$1"
}
summary() { # label json
  python3 - "$@" <<'PY'
import json, sys
label, raw = sys.argv[1], json.loads(sys.argv[2])
s, p = raw["summary"], raw["latencyPercentiles"]
codes = raw.get("statusCodeDistribution", {})
errors = sum(v for k, v in codes.items() if k != "200") + sum(raw.get("errorDistribution", {}).values())
print(f"| {label} | {s['requestsPerSec']:.0f} | {p['p50']*1000:.2f} | {p['p95']*1000:.2f} | {p['p99']*1000:.2f} | {errors} |")
PY
}
# The answer must be the cart, not an error, on both sides.
for url in "$ROUTER" "$CHECKOUT"; do
  curl -s -H 'content-type: application/json' --data @"$WORK/cart.json" "$url" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); assert "errors" not in r and r["data"]["cart"]["totals"]["grandTotal"], r'
done
oha_run "$CHECKOUT" 5s quiet >/dev/null
direct="$(summary "checkout subgraph directly" "$(oha_run "$CHECKOUT" "${DURATION}s" json)")"
oha_run "$ROUTER" 5s quiet >/dev/null
routed="$(summary "through the router" "$(oha_run "$ROUTER" "${DURATION}s" json)")"
echo
echo "The cart query (a guest cart of $LINES lines), $CONNECTIONS connections, ${DURATION} s each after 5 s warm-up:"
echo
echo "| target | RPS | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|"
echo "$direct"
echo "$routed"
python3 - "$direct" "$routed" <<'PY'
import sys
rps = [float(row.split("|")[2]) for row in sys.argv[1:]]
print(f"\nRouter / direct: {rps[1] / rps[0]:.1%} of the checkout subgraph's throughput.")
PY
