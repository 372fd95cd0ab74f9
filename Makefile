PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Stoplight Prism for the contract check (see `contract:` below)
PRISM := contract/node_modules/.bin/prism
export ZOOM_SPEC_DIR ?= $(abspath ../shared/zoom-openapi)

.PHONY: install generate models docs test bench clean contract dist load inspector

install: $(BIN)/zoom-actions generate inspector $(PRISM)

$(BIN)/zoom-actions: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# The catalog, its Markdown reference (actions/docs) and typed models (actions/models), from every
# product and master-account document; --strict: an overlay patch that no longer fits is an error.
generate:
	$(BIN)/zoom-actions generate --strict --out actions
	$(BIN)/zoom-actions generate --models --out actions

test:
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider -W error::ResourceWarning

bench:
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench

# Many workers on one Zoom account (bench/load/): 8 worker processes on one Redis against a loopback Zoom
# stand-in, with the shared limiter on, off, and on with faults (about a minute). The single-process
# throughput of 1,000 concurrent calls is a section of `make bench` (--only throughput).
load:
	$(BIN)/python -m bench.load --out bench/load.md

# A release wheel in dist/ that carries the generated catalog, reference and models
# (zoom_actions/_catalog: an artifact built from Zoom's specs, never committed).
dist: $(BIN)/zoom-actions
	rm -rf dist build zoom_actions/_catalog
	$(BIN)/zoom-actions generate --strict --out zoom_actions/_catalog
	@# the models of an identical catalog are reused (they take a minute to generate)
	if cmp -s actions/index.json zoom_actions/_catalog/index.json && test -d actions/models; then \
	  cp -r actions/models zoom_actions/_catalog/models; \
	else $(BIN)/zoom-actions generate --models --out zoom_actions/_catalog; fi
	$(BIN)/pip wheel -q --no-deps -w dist . ; status=$$?; rm -rf zoom_actions/_catalog build; exit $$status

# Contract check against Zoom's own specs served by Stoplight Prism (pinned in
# contract/package-lock.json, installed under contract/node_modules, never globally; `make install` too,
# for the tests that start a Prism).
$(PRISM): contract/package.json contract/package-lock.json
	cd contract && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Every product by default, what CI gates on (45 Prism processes, 2,444 actions: about 2.5 minutes, a third
# of it Prism starting); CONTRACT_ARGS narrows it: "--product meetings" (one product, seconds), or
# "--sample 10 --whole meetings --whole users --whole phone" (every product reached, about 75 s).
CONTRACT_ARGS ?=
contract: $(BIN)/zoom-actions $(PRISM)
	@test -f actions/index.json || $(MAKE) generate
	$(BIN)/python -m contract $(CONTRACT_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info zoom_actions/_catalog
	find actions -mindepth 1 ! -name README.md -delete

# The MCP Inspector's CLI, pinned in mcp_inspector/package-lock.json and installed there (never globally):
# tests/adapters/test_mcp_inspector.py lists and calls `zoom-actions mcp` through it.
inspector:
	cd mcp_inspector && npm ci --no-audit --no-fund --loglevel=error
