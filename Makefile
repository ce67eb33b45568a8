# The two commands that set everything up on a fresh machine with Python 3:
#   make run   – the site with synthetic demo data on http://127.0.0.1:8000 (SQLite);
#                another port or address: make run PORT=8080 HOST=0.0.0.0
#   make test  – every test (browser tests need Chromium: see README)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install lint clean messages lock

# Dependencies come at the exact versions in requirements.lock (the ones the tests passed with),
# then Empower itself without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/empower migrate --no-input
	$(BIN)/empower demo --if-empty
	$(BIN)/empower serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests

# Interface translations (docs/languages.md): collect every marked text of the site into the
# English, Bengali and Burmese catalogues, keeping what is translated, then compile them. Run it
# after changing interface text, and commit the .po and .mo files it changes. It reads all of
# src/empower, so the messages of the pure packages (marked with empower.i18n.gettext_noop) are
# collected too; with no locale folder there, everything goes to the site's LOCALE_PATHS[0],
# src/empower/web/locale.
LANGUAGE_CODES := en bn my
messages: $(STAMP)
	cd src/empower && EMPOWER_VAR_DIR=$(CURDIR)/var ../../$(BIN)/empower makemessages $(addprefix -l ,$(LANGUAGE_CODES)) \
		-e html,txt,py --add-location=file --ignore=static --ignore=locale --ignore=__pycache__
	cd src/empower/web && EMPOWER_VAR_DIR=$(CURDIR)/var ../../../$(BIN)/empower compilemessages $(addprefix -l ,$(LANGUAGE_CODES))

# After changing dependencies in pyproject.toml: resolve them afresh and record the versions.
lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --upgrade pip
	$(VENV)-lock/bin/python -m pip install --quiet -e '.[test]'
	{ head -n 2 requirements.lock; $(VENV)-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) var .pytest_cache
