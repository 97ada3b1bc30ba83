# Northstar: `make demo` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
DEMO_ACCOUNTS ?= 300
export PYTHONUNBUFFERED := 1

.PHONY: help venv services migrate demo serve worker test lint format bench bench-scale bench-api loadtest faults clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed  ## create or update .venv

services:  ## start PostgreSQL and Redis when stopped; create the role and database
	@bash scripts/services.sh

migrate: venv services  ## apply migrations
	$(MANAGE) migrate --noinput

demo: migrate  ## seed demo data, compute a year of snapshots, serve http://127.0.0.1:8000
	DEMO_ACCOUNTS=$(DEMO_ACCOUNTS) bash scripts/demo.sh

lint: venv  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: venv services lint  ## the whole test suite (real PostgreSQL and Redis)
	bash scripts/test-deps.sh
	$(MANAGE) makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/pytest

BENCH_DATABASE_URL ?= postgres://northstar:northstar@127.0.0.1:5432/northstar_bench
bench: venv  ## benchmarks at 10,000 accounts in their own database; prints JSON figures
	DATABASE_URL=$(BENCH_DATABASE_URL) bash scripts/services.sh
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) bench_rescore

SCALE_DATABASE_URL ?= postgres://northstar:northstar@127.0.0.1:5432/northstar_scale
SCALE_SIZES ?= 10000 50000 100000
SCALE_OUT ?= .bench-scale
bench-scale: venv  ## issue 20's figures at 10k, 50k and 100k accounts (fresh northstar_scale each); prints JSON
	DATABASE_URL=$(SCALE_DATABASE_URL) bash scripts/services.sh
	rm -rf $(SCALE_OUT) && mkdir -p $(SCALE_OUT)
	for size in $(SCALE_SIZES); do \
		dropdb --if-exists -h 127.0.0.1 -U northstar northstar_scale && \
		createdb -h 127.0.0.1 -U northstar northstar_scale && \
		DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) migrate --noinput -v0 && \
		DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) bench_scale --accounts $$size --out $(SCALE_OUT)/$$size.json > /dev/null \
		|| exit 1; \
	done
	DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) bench_scale --combine $(SCALE_OUT)

bench-api: venv  ## usage events and Segment messages per second through gunicorn from one client; prints JSON figures
	DATABASE_URL=$(BENCH_DATABASE_URL) bash scripts/services.sh
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) bench_api_events
	DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) bench_segment

loadtest: venv  ## gunicorn + locust: 20 users for 60 s on the 10,000-account copy (northstar_load)
	$(PY) -m pip install --quiet -e '.[dev,load]'
	bash scripts/loadtest.sh

faults: venv services  ## kill a worker, stop Redis and PostgreSQL on purpose; each check says what it proves
	$(VENV)/bin/pytest -m faults tests/faults -p no:cacheprovider -q -rA

clean:  ## remove the virtualenv and collected static files
	rm -rf $(VENV) staticfiles
