#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis servers for the tests (issue 16, point 5), on 127.0.0.1 and free ports.
#
#   .ci/test-servers.sh start   installs postgresql / redis-server with apt-get when missing (as root),
#                               starts both in a new temp folder, prints that folder
#   .ci/test-servers.sh stop DIR  stops both and removes the folder
#   .ci/test-servers.sh pg-stop DIR / pg-start DIR   crash and restart that PostgreSQL (fault tests)
#
# DIR/env holds the connection settings the tests read:
#   OPSCONSOLE_TEST_POSTGRES  an Npgsql connection string (user postgres, trust auth, 127.0.0.1 only)
#   OPSCONSOLE_TEST_REDIS     host:port for StackExchange.Redis
# PostgreSQL runs as the unprivileged postgres user when started as root (initdb refuses root).
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" != "0" ]; then
    log "Missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' once, then retry."
    exit 1
  fi
  log "Installing ${missing[*]} (Debian packages, for the PostgreSQL and Redis tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages start system-wide servers on the default ports; the tests use their own.
  if command -v service >/dev/null; then
    service postgresql stop >/dev/null 2>&1 || true
    service redis-server stop >/dev/null 2>&1 || true
  fi
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  log "No free port found"
  exit 1
}

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_packages
  local bin dir pg_port redis_port
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  dir=$(mktemp -d /tmp/opsconsole-servers.XXXXXX)
  chmod 755 "$dir"
  mkdir "$dir/pg"
  [ "$(id -u)" = "0" ] && chown postgres: "$dir/pg"

  pg_port=$(free_port)
  as_postgres "$bin/initdb" -D "$dir/pg/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: a throw-away cluster; the tests check behaviour, not durability across power loss.
  # OPSCONSOLE_PG_DURABLE=1 keeps PostgreSQL's durable defaults, for fault tests that crash the server
  # and then count what was acknowledged (synchronous_commit=off would lose acknowledged commits).
  local durability="-c fsync=off -c synchronous_commit=off"
  [ "${OPSCONSOLE_PG_DURABLE:-0}" = "1" ] && durability=""
  echo "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 $durability -c max_connections=300" >"$dir/pg-options"
  as_postgres "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 -o "$(cat "$dir/pg-options")" start >/dev/null \
    || { cat "$dir/pg/server.log" >&2; exit 1; }

  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping | grep -q PONG || { cat "$dir/redis.log" >&2; exit 1; }

  cat >"$dir/env" <<EOF
export OPSCONSOLE_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres'
export OPSCONSOLE_TEST_REDIS='127.0.0.1:$redis_port'
EOF
  log "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port ($dir)"
  echo "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  local bin
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

# A fault test stops its own server's PostgreSQL as a crash would (immediate: no checkpoint, clients cut
# off) and starts it again on the same port with the same data.
pg_stop() {
  local bin
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
  as_postgres "$bin/pg_ctl" -D "$1/pg/data" -m immediate -w stop >/dev/null
}

pg_start() {
  local bin
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
  as_postgres "$bin/pg_ctl" -D "$1/pg/data" -l "$1/pg/server.log" -w -t 60 -o "$(cat "$1/pg-options")" start >/dev/null
}

case "${1:-}" in
  start) start ;;
  pg-stop) pg_stop "${2:?usage: $0 pg-stop DIR}" ;;
  pg-start) pg_start "${2:?usage: $0 pg-start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) log "usage: $0 start | stop DIR"; exit 2 ;;
esac
