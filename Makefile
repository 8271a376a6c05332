# Two commands do everything on a fresh machine: `make run` and `make test`.
PY       ?= python3.11
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
TSTAMP   := $(VENV)/.installed-test

.PHONY: run test lint services venv clean bench browser

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q -c requirements.lock -e .
	@touch $@

$(TSTAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	@touch $(STAMP) $@

venv: $(STAMP)

## run: install, migrate the SQLite database under ./var/, seed the demo city, serve on :8000
run: $(STAMP)
	@mkdir -p var
	$(BIN)/hotline db upgrade
	$(BIN)/hotline seed-demo --if-empty
	$(BIN)/hotline classifier ensure-demo
	BIN=$(BIN) bash scripts/run-demo.sh  # serve + its own 110 simulator on a free port

## services: make sure PostgreSQL and Redis are up (start them when they are down)
services:
	@bash scripts/ensure-services.sh

## test: install the test extras, start the services, run the whole suite
test: $(TSTAMP) services browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not exclusive"
	$(BIN)/python -m pytest -m exclusive

## browser: Debian's Chromium (and a CJK font for readable screenshots) for the page tests
browser:
	command -v chromium || (apt-get update && apt-get install -y chromium)
	fc-list :lang=zh | grep -q . || apt-get install -y fonts-wqy-microhei || true

lint: $(TSTAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
