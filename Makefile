# Siyu — `make run` serves a demo shop at http://127.0.0.1:8000; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV ?= $(shell command -v uv || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/siyu/web/static/vendor
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help install assets browser-deps run test test-sqlite test-postgres lint fmt bench migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv

$(BIN)/siyu: pyproject.toml uv.lock | $(UV)
	@UV=$$(command -v uv || echo $(UV)); $$UV sync --frozen --python $(PYTHON) --quiet
	@touch $@

install: $(BIN)/siyu assets ## install Python packages (from uv.lock) and the console's npm assets

$(VENDOR)/.stamp: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)
	@cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	@touch $@

assets: $(VENDOR)/.stamp ## copy htmx 2 and ECharts from npm into the console

browser-deps: ## Debian chromium + CJK fonts for the browser tests (only if missing)
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  echo "installing chromium and fonts-noto-cjk (Debian)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

run: install ## migrate, load the demo shop (first time only) and serve at http://127.0.0.1:8000
	@$(BIN)/siyu db upgrade
	@$(BIN)/siyu demo --if-empty
	@$(BIN)/siyu serve

migrate: $(BIN)/siyu ## apply database migrations
	@$(BIN)/siyu db upgrade

test: install browser-deps lint ## the whole suite: SQLite, then PostgreSQL (mandatory when CI=true)
	@$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
	  echo "ERROR: PostgreSQL at $(PG_URL) is not reachable and CI requires the PostgreSQL run"; exit 1; \
	else \
	  echo ""; echo "*** PostgreSQL not reachable at $(PG_URL): the PostgreSQL half of the suite was SKIPPED ***"; \
	fi

test-sqlite: $(BIN)/siyu assets
	@echo "== test suite on SQLite =="
	@SIYU_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: $(BIN)/siyu assets
	@echo "== test suite on PostgreSQL ($(PG_URL)) =="
	@SIYU_TEST_DB=postgresql SIYU_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -m "not browser" $(PYTEST_ARGS)

lint: $(BIN)/siyu ## ruff and mypy
	@$(BIN)/ruff check src tests $(wildcard bench)
	@$(BIN)/mypy

fmt: $(BIN)/siyu ## format and fix imports
	@$(BIN)/ruff check --fix src tests $(wildcard bench)
	@$(BIN)/ruff format src tests $(wildcard bench)

bench: install ## benchmarks (figures go to docs/benchmarks.md)
	@$(BIN)/python -m bench.run $(BENCH_ARGS)

clean: ## remove the virtualenv, npm modules and local data
	rm -rf $(VENV) node_modules $(VENDOR) data
