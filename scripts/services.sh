#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer, and that Northstar's role and database exist.
#
# Starts a local PostgreSQL or Redis that is installed but stopped, creates the role (with the
# password from DATABASE_URL, so the default works whether local TCP logins are trusted or need a
# password) and the database when missing. When a service cannot be reached it prints one line
# saying which, where, and how to start it, and exits 1: never a traceback.
set -u

DATABASE_URL=${DATABASE_URL:-postgres://northstar:northstar@127.0.0.1:5432/northstar}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

read -r PGHOST_ PGPORT_ PGUSER_ PGPASS_ PGDB_ REDIS_HOST REDIS_PORT < <(python3 - "$DATABASE_URL" "$REDIS_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit
db, redis = urlsplit(sys.argv[1]), urlsplit(sys.argv[2])
print(db.hostname or "127.0.0.1", db.port or 5432, unquote(db.username or "northstar"),
      unquote(db.password or "") or "-", db.path.lstrip("/") or "northstar",
      redis.hostname or "127.0.0.1", redis.port or 6379)
PY
)
[ "$PGPASS_" = "-" ] && PGPASS_=""

is_local() { case "$1" in 127.0.0.1|localhost|::1) return 0;; *) return 1;; esac; }

port_open() {  # host port
  python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

wait_for_port() {  # host port seconds
  for _ in $(seq 1 "$3"); do port_open "$1" "$2" && return 0; sleep 1; done
  return 1
}

# --- PostgreSQL -----------------------------------------------------------------------------
if ! port_open "$PGHOST_" "$PGPORT_" && is_local "$PGHOST_" && command -v pg_ctlcluster >/dev/null; then
  echo "Starting the local PostgreSQL cluster..."
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  wait_for_port "$PGHOST_" "$PGPORT_" 20 || true
fi
if ! port_open "$PGHOST_" "$PGPORT_"; then
  echo "PostgreSQL is not reachable at $PGHOST_:$PGPORT_: start it with" \
       "'pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start'" \
       "or 'docker compose up -d db redis', or set DATABASE_URL." >&2
  exit 1
fi

as_northstar() {  # sql, run as the app's role
  PGPASSWORD="$PGPASS_" PGCONNECT_TIMEOUT=5 psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" \
    -d "${2:-postgres}" -tAc "$1" 2>/dev/null
}
as_superuser() {  # sql, run as postgres through the socket (peer) or TCP (trust)
  if is_local "$PGHOST_" && id postgres >/dev/null 2>&1 && command -v runuser >/dev/null \
     && [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- psql -X -q -p "$PGPORT_" -d postgres -tAc "$1" 2>/dev/null && return 0
  fi
  if is_local "$PGHOST_" && command -v sudo >/dev/null; then
    sudo -n -u postgres psql -X -q -p "$PGPORT_" -d postgres -tAc "$1" 2>/dev/null && return 0
  fi
  PGCONNECT_TIMEOUT=5 psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U postgres -d postgres -tAc "$1" 2>/dev/null
}
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

if ! command -v psql >/dev/null; then
  echo "psql is not installed (apt-get install postgresql-client); cannot check the role." >&2
  exit 1
fi
if ! as_northstar "select 1" >/dev/null; then
  echo "Creating the PostgreSQL role '$PGUSER_'..."
  role_sql="DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $(sql_literal "$PGUSER_")) THEN
      CREATE ROLE \"$PGUSER_\" LOGIN CREATEDB PASSWORD $(sql_literal "$PGPASS_");
    ELSE
      ALTER ROLE \"$PGUSER_\" LOGIN CREATEDB PASSWORD $(sql_literal "$PGPASS_");
    END IF; END \$\$;"
  if ! as_superuser "$role_sql" >/dev/null || ! as_northstar "select 1" >/dev/null; then
    echo "PostgreSQL at $PGHOST_:$PGPORT_ refuses role '$PGUSER_' and no superuser access" \
         "was available to create it: create it (CREATEDB, password from DATABASE_URL)" \
         "or set DATABASE_URL." >&2
    exit 1
  fi
fi
if [ "$(as_northstar "select 1 from pg_database where datname = $(sql_literal "$PGDB_")")" != 1 ]; then
  echo "Creating the database '$PGDB_'..."
  as_northstar "CREATE DATABASE \"$PGDB_\"" >/dev/null || {
    echo "Could not create database '$PGDB_' at $PGHOST_:$PGPORT_ as '$PGUSER_'." >&2; exit 1; }
fi

# --- Redis ----------------------------------------------------------------------------------
if ! port_open "$REDIS_HOST" "$REDIS_PORT" && is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
  echo "Starting a local Redis..."
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    >/dev/null 2>&1 || true
  wait_for_port "$REDIS_HOST" "$REDIS_PORT" 10 || true
fi
if ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
  echo "Redis is not reachable at $REDIS_HOST:$REDIS_PORT: start it with" \
       "'redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save \"\" --appendonly no'" \
       "or 'docker compose up -d db redis', or set REDIS_URL." >&2
  exit 1
fi
echo "PostgreSQL ($PGHOST_:$PGPORT_/$PGDB_) and Redis ($REDIS_HOST:$REDIS_PORT) are ready."
