# Two commands set everything up on a fresh machine: `make serve` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/ecrm serve $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint infra/template.yaml

# Browser tests run in their own process: the local stack's moto state is process-wide.
test: lint
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .ecrm .aws-sam .pytest_cache .mypy_cache .ruff_cache
