# forestall — the documented commands. `make demo` and `make test` are all you need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
FORESTALL_VAR ?= $(CURDIR)/var
export FORESTALL_VAR PORT

STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast test-clocks test-browser bench lint format messages docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## demo: virtualenv, packages, SQLite database in var/, demo data, serve on 127.0.0.1:$(PORT)
demo: setup
	FORESTALL_DEBUG=1 $(BIN)/forestall demo --port $(PORT)

## test: the whole suite: the fast suite on every core, then the browser tests
test: test-fast test-browser

## test-fast: everything but the browser tests, one pytest-xdist worker per core
## (TEST_WORKERS=0 runs it in one process; idle workers take tests from busy ones)
## (bytecode is written even where PYTHONDONTWRITEBYTECODE is set: every worker
## and every child process a test starts would otherwise compile forestall anew)
TEST_WORKERS ?= auto
test-fast: setup
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -m "not browser" -n $(TEST_WORKERS) --dist worksteal

## test-clocks: the fast suite started just before the awkward instants: New Year's
## midnight in Berlin (local and UTC dates differ from then on), and the two clock
## changes of the next year (FORESTALL_TEST_CLOCK, tests/conftest.py)
CLOCKS ?= 2026-12-31T23:58:30+01:00 2027-03-28T01:58:30+01:00 2027-10-31T02:58:30+02:00
test-clocks: setup
	@set -e; for clock in $(CLOCKS); do echo "== the suite from $$clock"; \
	  FORESTALL_TEST_CLOCK=$$clock PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -m "not browser" \
	    -n $(TEST_WORKERS) --dist worksteal -p no:cacheprovider; done

## test-browser: headless Chromium against a live server, one test at a time
test-browser: setup
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -m browser

## bench: the benchmarks, printed as ratios against baselines measured in the same run
bench: setup
	$(BIN)/python -m bench

## docs: docs/ built into a static site in var/site (strict: a broken link fails),
## then checked for any reference to another host
docs: setup
	$(BIN)/mkdocs build --strict --site-dir $(FORESTALL_VAR)/site
	$(BIN)/python -m tests.docs_check $(FORESTALL_VAR)/site

lint: setup
	$(BIN)/ruff format --check forestall tests bench
	$(BIN)/ruff check forestall tests bench
	FORESTALL_DEBUG=1 $(BIN)/mypy

format: setup
	$(BIN)/ruff format forestall tests bench
	$(BIN)/ruff check --fix forestall tests bench

## messages: extract and compile the translation catalogues (needs gettext):
## one per app in forestall/<app>/locale, the project's own in forestall/locale
# Every app with its own catalogue (a forestall/<app>/locale folder), and api.
APPS := $(sort api $(patsubst forestall/%/locale,%,$(wildcard forestall/*/locale)))
messages: setup
	for app in $(APPS); do \
	  (cd forestall/$$app && mkdir -p locale && FORESTALL_DEBUG=1 ../../$(BIN)/forestall makemessages -l de --ignore 'migrations/*') || exit 1; \
	done
	cd forestall && FORESTALL_DEBUG=1 ../$(BIN)/forestall makemessages -l de $(foreach app,$(APPS),--ignore '$(app)/*')
	cd forestall && FORESTALL_DEBUG=1 ../$(BIN)/forestall compilemessages -l de

clean:
	rm -rf $(VENV) var
