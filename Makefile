# AvestaVärd: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.test-installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# The W3C Nu HTML checker (tests validate every page with it); the npm package ships the jar.
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/vnu-$(VNU_VERSION)/node_modules/vnu-jar/build/dist/vnu.jar
export AVESTAVARD_VNU_JAR := $(abspath $(VNU_JAR))
export FLASK_APP := avestavard
export AVESTAVARD_CONFIG ?= development

.PHONY: run test install install-test translations i18n-check wheel-check lint typecheck pytest pytest-sqlite pytest-postgres bench clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	scripts/install-system-deps
	touch $@

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/python scripts/i18n.py compile

$(VNU_JAR): | $(TEST_STAMP)
	npm install --silent --no-save --ignore-scripts --prefix $(VENV)/vnu-$(VNU_VERSION) vnu-jar@$(VNU_VERSION)
	test -f $@

install-test: $(TEST_STAMP) $(VNU_JAR) translations

run: install
	$(BIN)/avestavard db upgrade
	$(BIN)/avestavard demo
	$(BIN)/avestavard run --host 127.0.0.1 --port 5000

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

i18n-check: install-test
	$(BIN)/python scripts/i18n.py check

pytest-sqlite: install-test
	AVESTAVARD_TEST_DB=sqlite $(BIN)/pytest -q

pytest-postgres: install-test
	scripts/with-postgres $(BIN)/pytest -q

pytest: pytest-sqlite pytest-postgres

# The wheel, installed outside the checkout, migrates, loads the demo and serves pages.
wheel-check: install-test
	PYTHON=$(BIN)/python scripts/check-wheel

test: lint typecheck i18n-check wheel-check pytest

bench: install-test
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_mail.py
	$(BIN)/python bench/bench_letters.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache .mypy_cache .ruff_cache
