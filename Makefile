# Two commands on a fresh machine: `make app` and `make test`. Both create .venv and install the project
# into it first; the install is skipped when pyproject.toml has not changed since the last one.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install app test test-notebooks test-py browser-deps export bench calibrate help

help:
	@echo "make app    - start the Voila app on the shipped model"
	@echo "make test   - run the whole test suite (notebooks with nbdev-test, then pytest)"
	@echo "make export - regenerate cat_classifier/ from notebooks/ (nbdev-export) and clean the notebooks"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium (never a browser that Playwright downloads).
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }

app: install
	$(BIN)/cat-classifier app

test-notebooks: install
	$(BIN)/nbdev-test --n-workers 1 --do-print

test-py: install browser-deps
	$(BIN)/python -m pytest -q tests

test: test-notebooks test-py

export: install
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean

# Benchmarks print figures; they are not tests.
bench: install browser-deps
	$(BIN)/python benchmarks/bench_app.py

# Rejection of non-breed photos against false rejection of real ones, per threshold, on the shipped model.
calibrate: install
	$(BIN)/python benchmarks/calibrate_unknown.py

# Parallel download against bing-image-downloader's sequential Bing.run(), on a local fake Bing with 100 ms per image.
.PHONY: bench-download
bench-download: install
	$(BIN)/python benchmarks/bench_download.py
