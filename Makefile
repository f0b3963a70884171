# casebank: `make run` serves the demo case bank, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export CASEBANK_DATA_DIR ?= $(CURDIR)/instance
FLASK := $(BIN)/flask --app app

.PHONY: run test lint clean messages translations
# The interface's catalogues: .po files are kept in the repository, .mo files are compiled from
# them at install (by run and test), never committed.
# flask_security.po: casebank's words for Flask-Security's messages, read after its own.
CATALOGUES := $(wildcard casebank/translations/*/LC_MESSAGES/messages.po) \
	$(wildcard casebank/translations/*/LC_MESSAGES/flask_security.po)
COMPILED := $(CATALOGUES:.po=.mo)
BABEL_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k _l -k N_

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

# Compile the translated catalogues (pybabel compile), each when its .po changes.
casebank/translations/%.mo: casebank/translations/%.po | $(VENV)/.installed-run
	$(BIN)/pybabel -q compile -i $< -o $@

translations: $(COMPILED)

# After changing interface text: extract the messages and merge them into the catalogues, then
# translate the new entries in casebank/translations/{fr,es}/LC_MESSAGES/messages.po.
messages: $(VENV)/.installed-run
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg $(BABEL_KEYWORDS) -o casebank/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i casebank/translations/messages.pot -d casebank/translations

run: $(VENV)/.installed-run translations
	CASEBANK_ENV=development $(FLASK) db upgrade
	CASEBANK_ENV=development $(FLASK) casebank load-reference
	CASEBANK_ENV=development $(FLASK) casebank load-demo --if-empty
	CASEBANK_ENV=development $(FLASK) casebank extract-text
	CASEBANK_ENV=development $(FLASK) casebank reindex --if-missing
	CASEBANK_ENV=development $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache
