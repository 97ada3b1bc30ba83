# Northstar: `make demo` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
DEMO_ACCOUNTS ?= 300
export PYTHONUNBUFFERED := 1

.PHONY: help venv services migrate demo serve worker test lint format bench clean

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

demo: migrate  ## seed demo data and serve it at http://127.0.0.1:8000
	$(MANAGE) seed_demo --accounts $(DEMO_ACCOUNTS)
	$(MANAGE) collectstatic --noinput --verbosity 0
	@echo "Serving Northstar at http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(MANAGE) runserver 127.0.0.1:8000

lint: venv  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: venv services lint  ## the whole test suite (real PostgreSQL and Redis)
	$(MANAGE) makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/pytest --create-db

bench: migrate  ## benchmarks at 10,000 accounts; prints JSON figures
	$(MANAGE) bench

clean:  ## remove the virtualenv and collected static files
	rm -rf $(VENV) staticfiles
