# casebank: `make run` serves the demo case bank, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export CASEBANK_DATA_DIR ?= $(CURDIR)/instance
FLASK := $(BIN)/flask --app app

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes; requirements.lock pins every package.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	CASEBANK_ENV=development $(FLASK) db upgrade
	CASEBANK_ENV=development $(FLASK) casebank load-reference
	CASEBANK_ENV=development $(FLASK) casebank load-demo --if-empty
	CASEBANK_ENV=development $(FLASK) casebank extract-text
	CASEBANK_ENV=development $(FLASK) casebank reindex --if-missing
	CASEBANK_ENV=development $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache
