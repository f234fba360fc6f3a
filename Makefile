# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# LibreOffice (headless) checks that every workbook relance writes opens in a spreadsheet program;
# Chromium (driven by Playwright, never a browser of its own) opens the HTML report; poppler renders PDFs.
SYSTEM_PACKAGES := libreoffice-calc-nogui chromium poppler-utils
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
	    || ! command -v pdftoppm >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(SYSTEM_PACKAGES) >/dev/null; fi

demo: $(STAMP)
	$(BIN)/relance demo demo-output

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/micro.py
	$(BIN)/python benchmarks/mailjet_send.py

clean:
	rm -rf $(VENV) demo-output benchmarks/out .pytest_cache .mypy_cache .ruff_cache
