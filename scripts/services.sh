# Shared by scripts: install PostgreSQL and Redis when missing, start throwaway servers on free
# ports in a temporary directory, stop them. Source it; it defines functions only.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

install_missing() {
  local packages=()
  [ -n "$(pg_bin)" ] || packages+=(postgresql)
  command -v redis-server >/dev/null || packages+=(redis-server)
  command -v python3 >/dev/null || packages+=(python3)
  if [ ${#packages[@]} -gt 0 ]; then
    log "installing ${packages[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
}

RUN_PG=(env)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_services() {
  TEST_TMP="$(mktemp -d /tmp/commerce-test.XXXXXX)"
  local bin; bin="$(pg_bin)"
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$TEST_TMP"
    RUN_PG=(runuser -u postgres --)
  fi
  "${RUN_PG[@]}" "$bin/initdb" -A trust -U postgres -E UTF8 -D "$TEST_TMP/pg" >"$TEST_TMP/initdb.log"
  PG_PORT="$(free_port)"
  "${RUN_PG[@]}" "$bin/pg_ctl" -D "$TEST_TMP/pg" -l "$TEST_TMP/pg.log" -w start -o \
    "-p $PG_PORT -k $TEST_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" >/dev/null
  REDIS_PORT="$(free_port)"
  redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$TEST_TMP/redis.pid" --logfile "$TEST_TMP/redis.log"
  export TESTKIT_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  export TESTKIT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  log "PostgreSQL on :$PG_PORT, Redis on :$REDIS_PORT (in $TEST_TMP)"
}

stop_services() {
  if [ -n "${TEST_TMP:-}" ]; then
    "${RUN_PG[@]}" "$(pg_bin)/pg_ctl" -D "$TEST_TMP/pg" -m immediate stop >/dev/null 2>&1 || true
    [ -f "$TEST_TMP/redis.pid" ] && kill "$(cat "$TEST_TMP/redis.pid")" 2>/dev/null || true
    rm -rf "$TEST_TMP"
  fi
}

