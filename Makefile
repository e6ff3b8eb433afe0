# coverhub tasks. `make run` and `make test` work on a fresh clone: they create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-fast bench lint format venv tools clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## the service on embedded defaults (SQLite, a local folder, in-process jobs) with a demo repo
run: $(STAMP)
	COVERHUB_LOG_FORMAT=$${COVERHUB_LOG_FORMAT:-text} $(BIN)/coverhub serve

## the whole test suite; starts PostgreSQL/Redis if they are down, S3 (moto) in-process,
## and installs the tools the cross-checks compare against (lcov, node packages)
test: $(STAMP) tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## only the pure tiers (no servers, no tools)
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

tools: $(STAMP)
	bash scripts/ensure_test_tools.sh

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check app badges tests bench scripts
	$(BIN)/ruff format --check app badges
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format app badges tests bench
	$(BIN)/ruff check --fix app badges tests bench

clean:
	rm -rf $(VENV) .cache coverhub-data .pytest_cache .mypy_cache .ruff_cache
