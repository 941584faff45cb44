# Two commands matter (see README.md):
#   make book   - install into .venv if needed, execute the notebooks and build
#                 the HTML book in _build/html; any warning or cell error fails
#   make test   - install, build the book, check the import layers
#                 (lint-imports), then one pytest run: unit tests, doctests,
#                 nbval over book/*.ipynb and the browser test
# Other targets: make install, make outputs (re-execute notebooks in place and
# save their outputs, for nbval), make screenshots (full-page PNGs of every
# page at 1280 and 390 px in _build/screenshots), make reader-run (every
# notebook downloaded from the built book, run in a clean environment with the
# documented install line), make format (ruff format the notebooks),
# make clean (remove _build), make distclean (also remove .venv).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Kernels started by the build and by nbval are the ones of this .venv, even if
# the user has another `python3` kernel spec in ~/.local/share/jupyter.
export JUPYTER_PREFER_ENV_PATH := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Deterministic hashing in the notebook kernels and the tests.
export PYTHONHASHSEED := 0

JB_FLAGS     := -W -n --keep-going --all
PYTEST_FLAGS := -n 2 --dist loadfile \
                --nbval --nbval-current-env \
                --nbval-sanitize-with tests/nbval_sanitize.cfg \
                --nbval-cell-timeout=300

.PHONY: help install book test nbval outputs screenshots reader-run format clean distclean

help:
	@echo "make book    build the book into _build/html (installs into $(VENV) first)"
	@echo "make test    build the book, then run every test (unit, doctest, nbval, browser)"
	@echo "make nbval   only re-run the notebooks and compare them with their stored outputs"
	@echo "make install only create $(VENV) and install requirements.txt and the package"
	@echo "make outputs re-execute notebooks in place (NB='book/a.ipynb ...'; default all)"
	@echo "make screenshots  full-page PNGs of every built page at 1280 and 390 px in _build/screenshots"
	@echo "make reader-run   run every served notebook in a clean venv with the documented install line"
	@echo "make format  ruff format the notebooks (NB=...; default all) and check code lines <= 88"
	@echo "make clean   remove _build;  make distclean  also remove $(VENV)"

install: $(STAMP)

# Reinstall only when requirements.txt or pyproject.toml change (or .venv is
# new).  `pip install -e .` makes the notebooks import the working copy of
# companion/.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required; got " + sys.version.split()[0] + " (set PYTHON=python3.x)")'
	@start=$$(date +%s); \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt; \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	touch $@; \
	echo "== make install: $(VENV) ready in $$(( $$(date +%s) - start )) s"

book: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build $(JB_FLAGS) . ; \
	echo "== make book: built _build/html in $$(( $$(date +%s) - start )) s"

test: $(STAMP) book
	@start=$$(date +%s); \
	$(BIN)/lint-imports; \
	$(BIN)/python -m pytest $(PYTEST_FLAGS); \
	echo "== make test: pytest passed in $$(( $$(date +%s) - start )) s"

# nbval strict over the notebooks alone (CI runs it after `make test`, so every
# notebook is checked twice in a row against its stored outputs).
nbval: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m pytest $(PYTEST_FLAGS) book; \
	echo "== make nbval: notebooks reproduced their outputs in $$(( $$(date +%s) - start )) s"

# Store fresh outputs in the notebooks, with the same kernel and environment
# as the build and nbval, so `make test` compares like with like.
NB ?= $(wildcard book/*.ipynb)
outputs: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 $(NB)

# Full-page screenshots of the built book (no rebuild): look before you merge.
screenshots: $(STAMP)
	@test -f _build/html/index.html || { echo "no _build/html: run make book first"; exit 1; }
	$(BIN)/python tests/book_browser.py --screenshots _build/screenshots

# The reader's path (issue 14): the wheel the book serves, installed with the
# documented line into a clean virtual environment; every notebook from the
# site's download files executed there.  Needs `make book` first.
reader-run: $(STAMP)
	@test -f _build/html/index.html || { echo "no _build/html: run make book first"; exit 1; }
	$(BIN)/python .ci/reader_run.py

# Format the notebooks' code (ruff, line length 88, settings in pyproject.toml).
format: $(STAMP)
	$(BIN)/ruff format $(NB)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_notebook_code_width.py

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
