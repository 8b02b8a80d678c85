# MVI-kennisportaal. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Two processes share the suite (pytest-xdist); PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The Nu Html Checker (vnu.jar from the npm package vnu-jar, pinned) for tests/test_html_validity.py.
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/vnu/node_modules/vnu-jar/build/dist/vnu.jar

.DEFAULT_GOAL := help
PATH := $(PATH):/usr/sbin
.PHONY: help install install-test translations prepare run serve nginx servers loadtest test test-sqlite test-postgres e2e lint format chromium vnu postgres clean bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

install-test: $(VENV)/.installed-test ## Install the test dependencies too

translations: $(VENV)/.installed ## Compile the interface translations (.po -> .mo)
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations

prepare: install translations
	$(FLASK) db upgrade
	$(FLASK) seed --with-demo-users
	$(FLASK) search check >/dev/null 2>&1 || $(FLASK) search reindex

run: prepare ## Migrate, seed the demo data and serve http://127.0.0.1:5000
	$(FLASK) run --host 127.0.0.1 --port 5000

serve: prepare nginx ## The production profile locally: nginx :8080 -> gunicorn :8001, plus the worker
	deploy/serve.sh

nginx: ## Install Debian's nginx when missing (for make serve)
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx; }

test: install-test translations lint chromium vnu nginx servers postgres ## Lint, then the whole suite on SQLite and on PostgreSQL
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: ## The whole suite (unit + browser) on SQLite
	TEST_DATABASE_URL=sqlite:// $(PYTEST)

test-postgres: ## The whole suite (unit + browser) on PostgreSQL
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(PYTEST)

e2e: install-test translations chromium ## Only the browser journeys and the axe audit
	$(PYTEST) tests/e2e

lint: install-test ## ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

servers: ## Install redis-server and PostgreSQL's server programs when missing (tests run their own)
	@command -v redis-server >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

chromium: ## Install Debian's Chromium for the browser tests when missing
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

vnu: ## Install the Nu Html Checker (Java + npm vnu-jar) for the HTML validity test when missing
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless; }
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	@[ -f $(VNU_JAR) ] && grep -q '"version": "$(VNU_VERSION)"' $(VENV)/vnu/node_modules/vnu-jar/package.json || \
	  npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(VENV)/vnu vnu-jar@$(VNU_VERSION)

postgres: ## Start the local PostgreSQL when it is installed but not running
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  command -v pg_ctlcluster >/dev/null 2>&1 && \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; } || true
	@pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }

clean: ## Remove the virtualenv, caches and the local instance data
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info

$(VENV)/.installed-load: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[load]'
	touch $@

loadtest: $(VENV)/.installed-load translations nginx postgres ## Locust against nginx+gunicorn on PostgreSQL with 10,000 items: req/s, p50/p95/p99
	$(BIN)/python -m portal.loadtest

bench: install translations postgres ## Search quality and speed: nDCG@10, index build, p50/p95, memory
	$(BIN)/python -m portal.bench

.PHONY: bench-monitor
bench-monitor: install translations postgres ## The monitor pages at 100,000 records on PostgreSQL: p50/p95 (its own database mvi_bench_monitor)
	$(BIN)/python -m portal.bench_monitor
