# The two commands that set everything up on a fresh machine with Python 3:
#   make run   – the site with synthetic demo data on http://127.0.0.1:8000 (SQLite)
#   make test  – every test (browser tests need Chromium: see README)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/empower migrate --no-input
	$(BIN)/empower demo --if-empty
	$(BIN)/empower serve

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) var .pytest_cache
