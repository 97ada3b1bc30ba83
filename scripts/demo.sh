#!/usr/bin/env bash
# `make demo`: demo data, a year of snapshots, a Celery worker and beat, and the web server.
# The worker and beat run in the background and stop with the web server (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# Development settings for everything below, the Celery worker and beat included (their own
# default is the production settings, like the web server's).
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
ACCOUNTS=${DEMO_ACCOUNTS:-300}
mkdir -p var/log var/run

$PY manage.py seed_demo --accounts "$ACCOUNTS"
# The default playbooks start off on a fresh install; the demo turns them on, so the nightly
# evaluation of the newest snapshot below fills the CSMs' days with their tasks.
$PY manage.py activate_default_playbooks
echo "Computing 365 days of KPI snapshots, health scores and playbooks..."
$PY manage.py recompute_snapshots --last-days 365
# The churn models learn from that year (a 180-day model needs more history than a year gives:
# the lab page says so). Each one scores the newest snapshot date when it is stored.
echo "Training the 30- and 90-day churn models on that year..."
$PY manage.py churn_model train --horizon 30
$PY manage.py churn_model train --horizon 90
$PY manage.py collectstatic --noinput --verbosity 0

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
worker=$!
.venv/bin/celery -A config beat --loglevel=INFO --schedule var/run/celerybeat-schedule \
  >var/log/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null || true' EXIT INT TERM
echo "Celery worker (pid $worker) and beat (pid $beat) started; logs in var/log/."
echo
echo "Northstar is at http://127.0.0.1:8000 — log in as admin, leader, csm1, csm2 or csm3"
echo "(password: northstar-demo). Ctrl-C stops everything."
$PY manage.py runserver 127.0.0.1:8000
