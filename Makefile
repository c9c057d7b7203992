# Two commands on a fresh machine: `make app` and `make test`. Both create .venv and install the project
# into it first; the install is skipped when pyproject.toml has not changed since the last one.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install app test test-notebooks test-py browser-deps browser export bench calibrate binder web help

help:
	@echo "make app    - start the Voila app on the shipped model"
	@echo "make test   - run the whole test suite (notebooks with nbdev-test, then pytest)"
	@echo "make web    - write the static page of the shipped model into web/ (runs in the browser, no server)"
	@echo "make export - regenerate cat_classifier/ from notebooks/ (nbdev-export) and clean the notebooks"
	@echo "make binder - print the mybinder.org link and README badge for this clone's origin remote"
	@echo "make docs   - build the documentation site into _site/ and check it in Chromium"
	@echo "make docs-preview - serve the documentation site at http://127.0.0.1:8000/, rebuilt on every change"
	@echo "make screenshots  - make the README's pictures in docs/screenshots/ again (the app, on the shipped model)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium where apt-get can install it (as root, or through sudo without a
# password prompt), else the Chromium that Playwright downloads (online); with neither, one line and a stop.
browser-deps: install browser

# (Needs a .venv with Playwright: the project's, or the docs' alone.)
browser:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; } || true
	@$(BIN)/python tests/browser.py >/dev/null 2>&1 || $(BIN)/python -m playwright install chromium >/dev/null 2>&1 || true
	@$(BIN)/python tests/browser.py >/dev/null

app: install
	$(BIN)/cat-classifier app

# The tests and the notebooks' examples write toy models and photos (hundreds of MB a run) to temporary folders:
# each run gets a TMPDIR of its own, removed afterwards whatever the outcome, so nothing piles up in /tmp. Its
# name is short, and pytest's folders go straight in it (--basetemp): the model process's socket lives in one of
# them, and a socket's path may not be longer than 107 bytes.
IN_SCRATCH = scratch=$$(mktemp -d -t cct.XXXXXX) && trap 'rm -rf "$$scratch"' EXIT && TMPDIR=$$scratch

NOTEBOOK_TESTS = $(BIN)/nbdev-test --n-workers 1 --do-print
PY_TESTS = $(BIN)/python -m pytest -q tests

test-notebooks: install
	@echo '$(NOTEBOOK_TESTS)'
	@$(IN_SCRATCH) $(NOTEBOOK_TESTS)

test-py: install browser-deps
	@echo '$(PY_TESTS)'
	@$(IN_SCRATCH) $(PY_TESTS) --basetemp="$$scratch/p"

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

# The mybinder.org link of this clone's `origin` (GitHub, GitLab or any git URL), as a URL and as README badge markdown.
binder:
	@$(PYTHON) binder/link.py

.PHONY: install app test test-notebooks test-py browser-deps browser export bench calibrate binder web help

# The shipped model as a static page that runs in the visitor's browser (onnxruntime-web, fetched once with npm
# into ~/.cache/cat-classifier): serve web/ with `python -m http.server -d web`, or publish it on GitHub Pages.
web: install
	$(BIN)/cat-classifier export --web web

# The documentation site needs only the `docs` extra (MkDocs, mkdocs-jupyter, mkdocstrings, Playwright), not the
# project and its torch: the site shows the notebooks' stored outputs and reads the docstrings without importing.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r <($(BIN)/python docs/requirements.py)
	@touch $(DOCS_STAMP)

.PHONY: docs docs-install docs-preview screenshots
docs-install: $(DOCS_STAMP)

# NO_MKDOCS_2_WARNING: Material's notice that it will be maintained until 2027 (its successor: Zensical), on every build.
docs: docs-install browser
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python tests/site_check.py _site

docs-preview: docs-install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# The app on the shipped model in Chromium, with scikit-image's Chelsea uploaded; and the notebooks' pictures.
screenshots: install browser-deps
	$(BIN)/python docs/screenshots.py
