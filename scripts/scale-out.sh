#!/usr/bin/env bash
# The production layout on this machine: a PostgreSQL and a Redis (kept under
# data/scale-out/ between runs), then `commerce-stack scale-out` (release build): every
# subgraph its own process, catalog and inventory twice, two routers behind a balancer on
# :4000. Extra arguments go to `scale-out` (e.g. --instances router=3,catalog=2).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
install_missing

DIR="$PWD/data/scale-out"
mkdir -p "$DIR"
bin="$(pg_bin)"
RUN_PG=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres: "$DIR"
  RUN_PG=(runuser -u postgres --)
fi
[ -d "$DIR/pg" ] || "${RUN_PG[@]}" "$bin/initdb" -A trust -U postgres -E UTF8 -D "$DIR/pg" >"$DIR/initdb.log"
PG_PORT="${PG_PORT:-5433}"
REDIS_PORT="${REDIS_PORT:-6380}"
"${RUN_PG[@]}" "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w start -o \
  "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
# Events travel through Redis Streams: keep them across a restart (append-only file).
redis-server --port "$REDIS_PORT" --dir "$DIR" --appendonly yes --save '' --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
stop() {
  [ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
  "${RUN_PG[@]}" "$bin/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true
}
trap stop EXIT
log "PostgreSQL on :$PG_PORT, Redis on :$REDIS_PORT (data in $DIR)"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
cargo run --release --locked -p commerce-stack -- --apps off scale-out "$@"
