# prefcenter: two commands on a fresh machine with only Python 3.11+.
#   make run   set up, migrate, load demo data, serve on http://127.0.0.1:8000 (SQLite)
#   make test  set up with the dev extra, lint, check migrations, run every test
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto
# make run signs self-service links with this file's secret: random, made on the first run, never committed.
SECRET_KEY_FILE ?= .secret_key

.PHONY: help run test lint bench clean

help:
	@echo "make run    set up, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   set up, lint and run the whole test suite"
	@echo "make bench  benchmark the API under gunicorn (not part of make test)"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11+ is required (none found on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(SECRET_KEY_FILE):
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@echo "Generated a random SECRET_KEY in $@ (kept out of git; delete it to invalidate every link issued so far)."

run: $(VENV)/.installed $(SECRET_KEY_FILE)
	DEBUG=1 SECRET_KEY=$${SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))} $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=1 SECRET_KEY=$${SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))} PREFCENTER_BASE_URL=$${PREFCENTER_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py load_demo
	@echo ""
	@echo "  prefcenter is starting on http://$(HOST):$(PORT)/"
	@echo "    API docs (Swagger UI)  http://$(HOST):$(PORT)/api/docs/"
	@echo "    API docs (Redoc)       http://$(HOST):$(PORT)/api/redoc/"
	@echo "    OpenAPI schema         http://$(HOST):$(PORT)/api/schema/"
	@echo "    Admin                  http://$(HOST):$(PORT)/admin/"
	@echo "    Health                 http://$(HOST):$(PORT)/healthz"
	@echo "  Demo credentials are printed above. Stop with Ctrl-C."
	@echo ""
	DEBUG=1 SECRET_KEY=$${SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))} PREFCENTER_BASE_URL=$${PREFCENTER_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache
