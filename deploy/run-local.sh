#!/usr/bin/env bash
# A scale-out tracechat on one machine, without containers (docs/scale-out.md):
# PostgreSQL (the catalog), a warehouse directory, two receivers behind HAProxy (OTLP gRPC
# and HTTP), one reader (API, viewer, chat) and the maintenance job every 10 minutes.
#
#   deploy/run-local.sh [DIR]        # DIR defaults to ./tracechat-cluster; Ctrl-C stops all
#
# Ports (override with the variables): OTLP gRPC $GRPC_PORT (4317) and HTTP $HTTP_PORT (4318)
# on HAProxy, the reader's API on $API_PORT (8000) and its gRPC queries on $QUERY_GRPC_PORT
# (4319), PostgreSQL on $PG_PORT (5544); the
# receivers listen on loopback ports above $BACKEND_BASE (14000). Needs Debian's postgresql
# and haproxy packages and tracechat on PATH (or TRACECHAT="python -m tracechat").
# SIGTERM, SIGINT or any of its processes exiting stops everything it started (by pid) and
# exits; a process that exits while starting, or takes longer than $START_TIMEOUT_S (120),
# stops it too, with the log to read. Ready once it prints "tracechat cluster in DIR".
set -euo pipefail

DIR=$(realpath -m "${1:-./tracechat-cluster}")
GRPC_PORT=${GRPC_PORT:-4317}
HTTP_PORT=${HTTP_PORT:-4318}
API_PORT=${API_PORT:-8000}
QUERY_GRPC_PORT=${QUERY_GRPC_PORT:-4319}
PG_PORT=${PG_PORT:-5544}
BACKEND_BASE=${BACKEND_BASE:-14000}
MAINTAIN_EVERY_S=${MAINTAIN_EVERY_S:-600}
START_TIMEOUT_S=${START_TIMEOUT_S:-120}
TRACECHAT=${TRACECHAT:-tracechat}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

mkdir -p "$DIR/logs" "$DIR/warehouse"
as_postgres=()
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
  as_postgres=(runuser -u postgres --)
  chown postgres: "$DIR"
  if ! runuser -u postgres -- test -x "$DIR"; then
    echo "run-local.sh: the postgres user cannot reach $DIR (a parent directory is private); pick another" >&2
    exit 1
  fi
fi

pids=()
pg_started=
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # PostgreSQL last, once its clients are gone: a fast shutdown, waited for
  if [ -n "$pg_started" ]; then
    "${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$DIR/pg" stop -m fast -w >>"$DIR/logs/postgres.log" 2>&1 || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM  # exits, which runs stop

# wait_for PID WHAT COMMAND...: until COMMAND succeeds; stops everything if PID exits first
# or START_TIMEOUT_S pass
wait_for() {
  local pid=$1 what=$2 deadline=$((SECONDS + START_TIMEOUT_S))
  shift 2
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-local.sh: $what exited while starting; see $DIR/logs" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "run-local.sh: $what not ready after ${START_TIMEOUT_S}s; see $DIR/logs" >&2
      exit 1
    fi
    sleep 0.2
  done
}

# -- PostgreSQL: the Iceberg catalog, the trace index, chats, feedback and keys
if [ ! -d "$DIR/pg" ]; then
  "${as_postgres[@]}" "$PG_BIN/initdb" -D "$DIR/pg" -U tracechat -A trust -E UTF8 >"$DIR/logs/initdb.log"
fi
"${as_postgres[@]}" "$PG_BIN/postgres" -D "$DIR/pg" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories="$DIR" >"$DIR/logs/postgres.log" 2>&1 &
pg=$!
pg_started=1
wait_for "$pg" PostgreSQL "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U tracechat -d postgres
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U tracechat -d postgres -tc \
  "SELECT 1 FROM pg_database WHERE datname = 'tracechat'" | grep -q 1 ||
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U tracechat tracechat

export TRACECHAT_STORE=iceberg
export TRACECHAT_CATALOG_URI="postgresql://tracechat@127.0.0.1:$PG_PORT/tracechat"
export TRACECHAT_WAREHOUSE="file://$DIR/warehouse"

# -- the reader first: it creates the tables while no receiver is up yet
$TRACECHAT serve --role query --data-dir "$DIR/reader" --port "$API_PORT" --grpc-port "$QUERY_GRPC_PORT" \
  >"$DIR/logs/reader.log" 2>&1 &
pids+=($!)
wait_for "$!" reader grep -q "API " "$DIR/logs/reader.log"

# -- two receivers
receiver=()
for n in 1 2; do
  base=$((BACKEND_BASE + n * 10))
  $TRACECHAT serve --role ingest --data-dir "$DIR/receiver-$n" \
    --grpc-port "$base" --otlp-http-port $((base + 1)) --port $((base + 2)) >"$DIR/logs/receiver-$n.log" 2>&1 &
  pids+=($!)
  receiver[n]=$!
done
for n in 1 2; do
  wait_for "${receiver[n]}" "receiver $n" grep -q "API " "$DIR/logs/receiver-$n.log"
done

# -- HAProxy in front of them: gRPC is HTTP/2 end to end, OTLP/HTTP plain HTTP/1.1
cat >"$DIR/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    default-server inter 1s fall 2 rise 1
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend otlp_grpc
    bind 127.0.0.1:$GRPC_PORT proto h2
    default_backend receivers_grpc
backend receivers_grpc
    balance roundrobin
    server receiver-1 127.0.0.1:$((BACKEND_BASE + 10)) proto h2 check
    server receiver-2 127.0.0.1:$((BACKEND_BASE + 20)) proto h2 check
frontend otlp_http
    bind 127.0.0.1:$HTTP_PORT
    default_backend receivers_http
backend receivers_http
    balance roundrobin
    option httpchk GET /healthz
    server receiver-1 127.0.0.1:$((BACKEND_BASE + 11)) check port $((BACKEND_BASE + 12))
    server receiver-2 127.0.0.1:$((BACKEND_BASE + 21)) check port $((BACKEND_BASE + 22))
CFG
haproxy -f "$DIR/haproxy.cfg" -db >"$DIR/logs/haproxy.log" 2>&1 &
pids+=($!)
# ready once HAProxy has found a receiver up (it answers 503 until its first health check)
haproxy_up() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/v1/traces") || true
  [ "$code" != 503 ] && [ "$code" != 000 ]
}
wait_for "$!" HAProxy haproxy_up

# -- upkeep: its sleep and its run are children it stops when it is stopped
(
  child=
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM
  while :; do
    sleep "$MAINTAIN_EVERY_S" &
    child=$!
    wait "$child"
    $TRACECHAT maintain >>"$DIR/logs/maintain.log" 2>&1 &
    child=$!
    wait "$child" || true
  done
) &
pids+=($!)

echo "tracechat cluster in $DIR: OTLP gRPC 127.0.0.1:$GRPC_PORT, OTLP/HTTP http://127.0.0.1:$HTTP_PORT," \
  "API and viewer http://127.0.0.1:$API_PORT/ (logs in $DIR/logs; Ctrl-C stops everything)"
wait -n "${pids[@]}" || true
