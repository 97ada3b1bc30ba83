#!/usr/bin/env bash
# `make loadtest`: gunicorn with the production settings on the 10,000-account data set, driven
# by locust (headless) with LOAD_USERS users for LOAD_SECONDS seconds over the accounts list,
# account pages and the portfolio. Prints requests per second, p50/p95/p99 and errors, overall
# and per page, and appends them to docs/performance.md with the machine's load average.
#
# The database is LOAD_DATABASE_URL (default northstar_load, a copy of `make bench`'s data set;
# the script migrates it). LOAD_PORTFOLIO_WEIGHT=0 leaves the portfolio out. gunicorn:
# GUNICORN_WORKERS x GUNICORN_THREADS on LOAD_PORT, keep-alive longer than the users' think time
# (a proxy in front would hold the connections instead).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://northstar:northstar@127.0.0.1:5432/northstar_load}
PORT=${LOAD_PORT:-8790}
USERS=${LOAD_USERS:-20}
SECONDS_=${LOAD_SECONDS:-60}
WARMUP=${LOADTEST_WARMUP:-10}  # seconds of ramp-up and logins, run before the measured ones
WORKERS=${GUNICORN_WORKERS:-2}
THREADS=${GUNICORN_THREADS:-2}
OUT=var/loadtest
mkdir -p "$OUT"

db_name=${DATABASE_URL##*/}
if ! psql "$DATABASE_URL" -Atc "select count(*) from accounts_account" >/dev/null 2>&1; then
  echo "The load database '$db_name' is missing or empty: create it from \`make bench\`'s" \
       "data set (createdb -T northstar_bench $db_name) or set LOAD_DATABASE_URL." >&2
  exit 1
fi
accounts=$(psql "$DATABASE_URL" -Atc "select count(*) from accounts_account")
$PY manage.py migrate --noinput -v0 --settings=config.settings.local

# Production settings over plain HTTP on the loopback interface (no TLS here to terminate).
export DJANGO_SETTINGS_MODULE=config.settings.production DEBUG=false SECURE_HTTPS=false
export SECRET_KEY=${SECRET_KEY:-$($PY -c "import secrets; print(secrets.token_urlsafe(50))")}
export CONNECTOR_SECRET_KEYS=${CONNECTOR_SECRET_KEYS:-$($PY -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")}
export ALLOWED_HOSTS=127.0.0.1,localhost
export CONN_MAX_AGE=${CONN_MAX_AGE:-60}
export AXES_FAILURE_LIMIT=1000 AXES_ADDRESS_FAILURE_LIMIT=1000  # 20 users log in from one address
$PY manage.py collectstatic --noinput -v0

.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --threads "$THREADS" --timeout 60 --keep-alive 10 --log-level warning --error-logfile "$OUT/gunicorn.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 1
done

echo "One user at a time (each page's own time, no queueing):"
$PY scripts/loadtest_baseline.py "http://127.0.0.1:$PORT" --out "$OUT/baseline.json"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f "$OUT/requests.json"
echo "gunicorn ($WORKERS workers x $THREADS threads, pid $server) on :$PORT, $accounts accounts;" \
     "load average before: $load_before"
LOADTEST_WARMUP=$WARMUP .venv/bin/locust -f scripts/locustfile.py --headless --users "$USERS" \
  --spawn-rate 4 --run-time "$((SECONDS_ + WARMUP))s" --host "http://127.0.0.1:$PORT" --csv "$OUT/run" --only-summary \
  --loglevel WARNING >"$OUT/locust.log" 2>&1 || true  # exit 1 on any failed request
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

$PY scripts/loadtest_report.py "$OUT/requests.json" --users "$USERS" --seconds "$SECONDS_" \
  --server "gunicorn ${WORKERS}x${THREADS}, CONN_MAX_AGE=$CONN_MAX_AGE, portfolio weight ${LOAD_PORTFOLIO_WEIGHT:-2}" \
  --accounts "$accounts" \
  --load-before "$load_before" --load-after "$load_after" --baseline "$OUT/baseline.json" \
  --append docs/performance.md
