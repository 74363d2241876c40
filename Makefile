# parksim: `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12 (Mesa 3.5 needs it). .python-version selects pyenv's 3.12.1 here.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 $$HOME/.pyenv/versions/3.12.1/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint bench clean check-python

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "parksim needs Python >= 3.12 (Mesa 3.5 requires it), and none was found." >&2; \
	  echo "Install one (e.g. 'pyenv install 3.12'), or run: make PYTHON=/path/to/python3.12 test" >&2; \
	  exit 1; fi

$(STAMP): pyproject.toml | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/parksim run scenarios/baseline.toml --replications 1000 --seed 20200616 --out results/baseline

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/award_core.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
