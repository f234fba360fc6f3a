# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench bench-1m bench-fanout cloud-bundle system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

# LibreOffice (headless) checks that every workbook relance writes opens in a spreadsheet program;
# Chromium (driven by Playwright, never a browser of its own) opens the HTML report; poppler renders PDFs;
# node runs the Apps Script menu's tests (node --test tests/apps_script/).
SYSTEM_PACKAGES := libreoffice-calc-nogui chromium poppler-utils nodejs
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
	    || ! command -v pdftoppm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(SYSTEM_PACKAGES) >/dev/null; fi

demo: $(STAMP)
	$(BIN)/relance demo demo-output

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks addin
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

# benchmarks/run.py: the daily run phase by phase beside its floors at 10k and 100k invoices, then
# the approval day (benchmarks/approval_day.py) and the rerun over 200,000 History rows.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/micro.py
	$(BIN)/python benchmarks/mailjet_send.py
	$(BIN)/python benchmarks/gsheet.py
	$(BIN)/python benchmarks/udfs.py
	$(BIN)/python benchmarks/excel_fake.py
	$(BIN)/python benchmarks/records.py
	$(BIN)/python benchmarks/mail.py
	$(BIN)/python benchmarks/letters.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/figures.py
	$(BIN)/python benchmarks/compose.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) demo-output benchmarks/out .pytest_cache .mypy_cache .ruff_cache

# The million-row book alone (its build takes minutes, then it is cached in benchmarks/out/);
# `make bench-1m BENCH_REPEAT=1` for one process per figure instead of the median of three.
BENCH_REPEAT ?= 3
bench-1m: $(STAMP)
	$(BIN)/python benchmarks/run.py --sizes 1000000 --repeat $(BENCH_REPEAT) --approval-sizes "" --no-history

# `make bench` also runs the fan-out benchmark (before the others).
bench: bench-fanout

# The 100-workbook fan-out alone: dispatch -> local Pub/Sub -> worker (functions-framework on loopback).
bench-fanout: $(STAMP)
	$(BIN)/python benchmarks/fanout.py

# The Cloud Functions' source folder, ready for `gcloud functions deploy --source cloud_functions`:
# relance's wheel in cloud_functions/dist/, named in cloud_functions/requirements.txt.
cloud-bundle: $(STAMP)
	rm -rf cloud_functions/dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir cloud_functions/dist .
	wheel=$$(cd cloud_functions && ls dist/relance-*.whl) && \
	  sed -i -E "s#^\./dist/relance-.*\.whl#./$$wheel#" cloud_functions/requirements.txt && \
	  grep -q "^./$$wheel\[" cloud_functions/requirements.txt
	@echo "cloud_functions/ is ready: $$(grep '^./dist/' cloud_functions/requirements.txt)"
