# Two commands set everything up on a fresh machine (see README):
#   make demo   installs orgsync into .venv (what a user runs, no test tools) and runs plan + apply of
#               examples/acme on the embedded `local` target; then run .venv/bin/orgsync (or activate .venv)
#   make test   installs orgsync with its dev extra (test tools and every optional source driver), runs ruff,
#               mypy and the test suite
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# One stamp per install, so `make demo` never pulls in the test tools and `make test` installs them once.
$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	bash scripts/demo.sh $(BIN)/orgsync

# format, lint, then types (strict for orgsync/, see [tool.mypy]), then the tests: the first failure stops it
test: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python -m benchmarks.run $(if $(ROWS),--rows $(ROWS))

# Check that a tag may be cut (version, changelog date, every reference to the repository agree), as a dry run;
# DRY_RUN=0 cuts it. Standard library only: no install needed. TAG defaults to v + orgsync.__version__.
release:
	$(PY) scripts/release.py $(if $(TAG),--tag $(TAG)) $(if $(ROOT),--root $(ROOT)) $(if $(filter 0,$(DRY_RUN)),--apply)

.PHONY: install install-dev demo test bench release
