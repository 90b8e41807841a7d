# Throwaway PostgreSQL cluster on loopback for CI (sourced; sets no shell options in the caller).
# pg_start: installs the Debian package if needed, initdb into a temp dir, starts on a free port and
# exports PG_CONNECTION_STRING. pg_stop: stops it and removes the directory; safe to call twice.

pg_start() {
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >/dev/null 2>&1 \
      || { echo "postgres: apt-get install postgresql failed" >&2; return 1; }
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_DIR=$(mktemp -d -t tinker-pg.XXXXXX) || return 1
  chown postgres:postgres "$PG_DIR" || return 1
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') || return 1
  # initdb refuses root; the socket lives in PG_DIR because /var/run/postgresql may not exist.
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE tinker LOGIN PASSWORD 'tinker' CREATEDB" -c "CREATE DATABASE tinker OWNER tinker" >/dev/null || return 1
  export PG_CONNECTION_STRING="Host=127.0.0.1;Port=$PG_PORT;Database=tinker;Username=tinker;Password=tinker"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
  unset PG_DIR
  return 0
}
