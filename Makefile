# Testigo — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
DATA_DIR ?= $(CURDIR)/var
TEST_DATA_DIR := $(CURDIR)/.pytest-data
PYTEST_ARGS ?=

.PHONY: demo test test-fast test-sqlite test-postgres bench messages lint install install-test clean screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	TESTIGO_DATA_DIR=$(DATA_DIR) $(VENV)/bin/testigo demo --port $(PORT)

test: install-test messages-check
	@rm -rf $(TEST_DATA_DIR) && mkdir -p $(TEST_DATA_DIR)
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite:
	TESTIGO_DATA_DIR=$(TEST_DATA_DIR) $(PY) -m pytest $(PYTEST_ARGS)

# The inner loop (docs/development.md): SQLite only; no browser, real-service or slow tests; a tenth
# of the property-test examples; in parallel when pytest-xdist is installed. `make test` is the gate.
FAST_MARKERS := not browser and not services and not slow
test-fast: install-test
	@mkdir -p $(TEST_DATA_DIR)
	env -u TESTIGO_DATABASE_URL TESTIGO_DATA_DIR=$(TEST_DATA_DIR) TESTIGO_HYPOTHESIS_PROFILE=dev \
	  $(PY) -m pytest -m "$(FAST_MARKERS)" $$($(PY) -c "import xdist" 2>/dev/null && echo "-n auto") $(PYTEST_ARGS)

# The whole suite again on PostgreSQL when TESTIGO_TEST_POSTGRES_URL is set (CI sets it).
test-postgres:
	@if [ -n "$$TESTIGO_TEST_POSTGRES_URL" ]; then \
	  echo "== PostgreSQL run: $$TESTIGO_TEST_POSTGRES_URL"; \
	  TESTIGO_DATA_DIR=$(TEST_DATA_DIR) TESTIGO_DATABASE_URL=$$TESTIGO_TEST_POSTGRES_URL \
	    $(PY) -m pytest -m "not browser" $(PYTEST_ARGS); \
	else \
	  echo "== PostgreSQL run skipped: TESTIGO_TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"; \
	fi

bench: install-test
	@for script in bench/bench_*.py; do \
	  TESTIGO_BENCH_QUICK=$(QUICK) $(PY) $$script || exit 1; \
	done

# Compile the catalogues with polib (pure Python): no system gettext needed to build.
messages: install-test
	$(PY) -m testigo.i18n compile

# Fails when a translatable string is missing from a catalogue or a .mo is stale.
messages-check: install-test
	$(PY) -m testigo.i18n check

# Extract strings (needs GNU gettext's xgettext, as Django's makemessages does).
messages-extract: install-test
	cd testigo && ../$(VENV)/bin/testigo makemessages -l es -l en --no-location --no-obsolete -i "migrations/*"
	$(PY) -m testigo.i18n compile

# Screenshots of every page into docs/screenshots/ and the docs (needs Debian's chromium; with
# chromium-l10n the browser's own controls, e.g. date pickers, are in Spanish too).
screenshots: install-test
	$(PY) tools/screenshots.py

lint: install-test
	$(VENV)/bin/ruff check testigo tests bench tools

clean:
	rm -rf $(VENV) $(TEST_DATA_DIR) *.egg-info
