# parksim: `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12 (Mesa 3.5 needs it). .python-version selects pyenv's 3.12.1 here.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 $$HOME/.pyenv/versions/3.12.1/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint bench clean check-python fonts

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "parksim needs Python >= 3.12 (Mesa 3.5 requires it), and none was found." >&2; \
	  echo "Install one (e.g. 'pyenv install 3.12'), or run: make PYTHON=/path/to/python3.12 test" >&2; \
	  exit 1; fi

$(STAMP): pyproject.toml constraints.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/parksim run scenarios/baseline.toml --replications 1000 --seed 20200616 --out results/baseline

# Test files are spread over the cores (pytest-xdist, a file's tests stay together on one
# worker, since the signal and resume tests rely on their order); `pytest tests/x.py` alone
# still runs in one process.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(shell nproc 2>/dev/null || echo 2) --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/award_core.py

# Best effort, never required: a CJK font so figures can be labelled in Chinese (without one
# they fall back to English). Installs Debian's fonts-noto-cjk only when running as root.
fonts:
	@if command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q .; then \
	  echo "CJK font present: $$(fc-list :lang=zh family | head -n 1)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-noto-cjk; } \
	  || echo "warning: could not install fonts-noto-cjk; figures will be labelled in English"; \
	else \
	  echo "warning: no CJK font; install fonts-noto-cjk (Debian/Ubuntu) for Chinese figure labels"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
