PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export ZOOM_SPEC_DIR ?= $(abspath ../shared/zoom-openapi)

.PHONY: install generate models docs test bench clean

install: $(BIN)/zoom-actions generate

$(BIN)/zoom-actions: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

generate:
	$(BIN)/zoom-actions generate
	$(BIN)/zoom-actions generate --models

test:
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

bench:
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info docs/reference zoom_actions/models/[!_]*
	find actions -mindepth 1 ! -name README.md -delete
