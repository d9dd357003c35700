# Two commands set everything up on a fresh machine (see README):
#   make demo   installs orgsync and runs plan + apply of examples/acme on the embedded `local` target
#   make test   installs orgsync with its test dependencies, runs ruff, mypy and the test suite
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/orgsync: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/orgsync

install: $(BIN)/orgsync

demo: install
	bash scripts/demo.sh $(BIN)/orgsync

# format, lint, then types (strict for orgsync/, see [tool.mypy]), then the tests: the first failure stops it
test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m benchmarks.run $(if $(ROWS),--rows $(ROWS))

.PHONY: install demo test bench
