# Two commands set everything up on a machine with Python 3.11+, Node.js 20+ and make:
#   make run    the site at http://127.0.0.1:5000 (PORT overrides) with demo data
#   make test   the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The address links in emails and Stripe's return pages point to: where `make run` serves.
PUBLIC_URL ?= http://127.0.0.1:$(PORT)
STRIPE_STANDIN_PORT ?= 12111
FRONTEND_SOURCES := $(shell find assets -type f 2>/dev/null)

.PHONY: run test install frontend lint format db-check ci clean bandit audit e2e chromium scaleout faults bench wrk mutation

run: install frontend
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	@$(BIN)/flask --app wsgi demo-sign-ins
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C to stop); card payments go to the offline Stripe stand-in"
	@$(BIN)/python -m stripe_standin --port $(STRIPE_STANDIN_PORT) \
	    --webhook-url http://127.0.0.1:$(PORT)/stripe/webhook & standin=$$!; \
	  $(BIN)/flask --app wsgi send-outbox --loop & outbox=$$!; \
	  trap 'kill $$standin $$outbox 2>/dev/null' EXIT INT TERM; \
	  STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_STANDIN_PORT) PUBLIC_URL=$(PUBLIC_URL) \
	    $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

frontend: portal/static/build/.built

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

portal/static/build/.built: node_modules/.installed $(FRONTEND_SOURCES)
	npm run build
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The models and the migrations describe the same schema.
db-check: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export PORTAL_ENV=development DATABASE_URL="sqlite:///$$tmp/check.db" STORAGE_ROOT="$$tmp/storage" && \
	$(BIN)/flask --app wsgi db upgrade && \
	$(BIN)/flask --app wsgi db check

# Security lint of the portal's own code (settings and the reasons for skipped checks are in
# pyproject.toml, [tool.bandit]).
bandit: install
	$(BIN)/bandit -q -r portal stripe_standin -c pyproject.toml

# Known vulnerabilities in the installed packages, from PyPI's advisory data. Where that service
# cannot be reached (offline, or an index mirror without it) this says so and does not fail.
audit: install
	@if $(BIN)/python -c 'import json, sys, urllib.request; from importlib.metadata import version; \
	    url = "https://pypi.org/pypi/flask/" + version("flask") + "/json"; \
	    sys.exit("vulnerabilities" not in json.load(urllib.request.urlopen(url, timeout=10)))' \
	    2>/dev/null; then \
	  $(BIN)/pip-audit --skip-editable --progress-spinner off; \
	else \
	  echo "make audit: PyPI's advisory service cannot be reached from here, so the installed packages were NOT audited."; \
	fi

# Browser journeys and accessibility checks (tests/browser), in Debian's Chromium through
# Playwright: never a downloaded browser. Screenshots go to tests/browser/artifacts/. They run on
# their own (not in `make test`), without the unit suite's fixtures (--confcutdir).
e2e: install frontend chromium
	rm -rf tests/browser/artifacts
	$(BIN)/pytest tests/browser --confcutdir=tests/browser -p no:cacheprovider

# Two gunicorn instances in production configuration sharing PostgreSQL, Redis (database 3) and
# the object store, with the Stripe stand-in and an SMTP server, on loopback ports 18501-18505:
# a whole journey alternates between them. Needs this machine's PostgreSQL and Redis; not part of
# `make test`. SCALEOUT_DATABASE_URL names another PostgreSQL server.
scaleout: install
	$(BIN)/pytest tests/scaleout --confcutdir=tests/scaleout -p no:cacheprovider

# Each dependency stopped, frozen or killed in the middle of journeys, on a PostgreSQL and a Redis
# of the test's own (spare loopback ports 18611-18615), then the invariants checked.
faults: install
	$(BIN)/pytest tests/faults --confcutdir=tests/faults -p no:cacheprovider

# The benchmark (docs/performance.md): the portal under gunicorn with production settings against
# a bare Flask app, driven by wrk, on a fresh PostgreSQL database on 127.0.0.1:5432 (dropped at
# the end). Not part of `make test`. Results in bench/results/latest.md.
bench: install wrk $(VENV)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

$(VENV)/.bench-installed: pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# Mutation testing of the rule modules (docs/testing.md): mutmut changes each function of them
# in small ways, one change at a time, runs the tests that reach it, and the table of what the
# tests noticed is printed (and kept in mutants/table.md). At low CPU priority; not part of CI.
mutation: install $(VENV)/.mutation-installed
	nice -n 10 $(BIN)/python tests/mutation/run.py $(MUTATION_ARGS)

$(VENV)/.mutation-installed: pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	touch $@

wrk:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules portal/static/build
