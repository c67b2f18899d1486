# pulje's two entry points: `make demo` and `make test`. Both work from a fresh clone and are
# safe to run twice; every other target here is a step of those two.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# uv's version is pinned once, in pyproject.toml ([tool.uv] required-version).
UV_VERSION := $(shell sed -n 's/^required-version = "==\(.*\)"$$/\1/p' pyproject.toml)
# The one place for the PostgreSQL server that `make test` (and bench/common.py) uses.
PG_URL ?= postgres://postgres@127.0.0.1:5432/pulje
# Development settings for the demo and manage.py; the test suite and mypy take theirs from
# tests/settings.py; production sets its own environment.
DEV_ENV := DEBUG=1

.PHONY: demo test install lint test-sqlite test-postgres serve messages assets

demo: install
	mkdir -p var
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_demo
	@echo "pulje runs at http://127.0.0.1:8000 with its background worker (Ctrl+C stops both)"
	$(DEV_ENV) $(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install lint test-sqlite test-postgres

install: $(VENV)/.installed node_modules/.installed assets messages

# The Python versions are stated once, in pyproject.toml's requires-python (read without
# tomllib, which an older Python lacks).
export PYTHON_CHECK
define PYTHON_CHECK
import re, sys
low, high = re.search(r'^requires-python = ">=([\d.]+),<([\d.]+)"', open("pyproject.toml").read(), re.M).groups()
version = ".".join(map(str, sys.version_info[:2]))
if not tuple(map(int, low.split("."))) <= sys.version_info[:2] < tuple(map(int, high.split("."))):
    sys.exit(f"pulje needs Python >={low},<{high}; {sys.executable} is {version}")
endef

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PYTHON) -c "$$PYTHON_CHECK"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --inexact --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	npm run --silent build

messages: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain django --directory src/pulje/locale --statistics 2>&1 | tail -n 1

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src tests bench
	$(VENV)/bin/lint-imports --no-cache
	$(DEV_ENV) DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

# The coverage gate: line coverage of pulje on the SQLite leg, at the level the suite reached
# when the gate was last raised (97.8 % of 11,085 lines, 2026-12-02), rounded down. Raise it
# as tests are added; the PostgreSQL leg runs without coverage to keep CI's time down.
COVERAGE_MIN := 97

test-sqlite: $(VENV)/.installed
	$(VENV)/bin/pytest --cov=pulje --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_MIN)

# Under CI the PostgreSQL leg is required: a missing server fails the run, never skips it.
# The probe asks the server (its maintenance database), since the test database is made later.
export PG_PROBE
define PG_PROBE
import sys, psycopg
from psycopg.conninfo import conninfo_to_dict
params = conninfo_to_dict(sys.argv[1]) | {"dbname": "postgres", "connect_timeout": 3}
try:
    psycopg.connect(**params).close()
except psycopg.OperationalError as error:
    sys.exit(f"PostgreSQL: {error}".strip())
endef

test-postgres: $(VENV)/.installed
	@if $(PY) -c "$$PG_PROBE" '$(PG_URL)'; then \
		echo "== test suite on PostgreSQL ($(PG_URL))"; \
		DATABASE_URL='$(PG_URL)' $(VENV)/bin/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "FAIL: PostgreSQL is not reachable at $(PG_URL); under CI the suite must run on it." >&2; \
		exit 1; \
	else \
		echo "NOTE: PostgreSQL is not reachable at $(PG_URL), so only SQLite was tested (CI runs both)."; \
	fi
