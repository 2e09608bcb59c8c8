# chargepay: `make dev` runs the whole embedded stack, `make test` installs and passes the tests.
# Needs only python3 (>= 3.11, with venv/pip) and make; uv is installed with pip if missing.

SHELL := /bin/bash
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
UV := $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)
RUN := $(UV) run --locked --no-sync

# Time budgets per stage (seconds): the whole .ci/run stays well inside 90 min on 2 cores.
LINT_BUDGET ?= 300
TYPE_BUDGET ?= 600
TEST_BUDGET ?= 2700

.PHONY: install test lint typecheck pytest dev demo bench bench-quick chaos chaos-quick screenshots clean

.bootstrap/bin/uv:
	$(PYTHON) -m venv .bootstrap
	.bootstrap/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --locked

lint: install
	timeout $(LINT_BUDGET) $(RUN) ruff check .
	timeout $(LINT_BUDGET) $(RUN) ruff format --check .

typecheck: install
	timeout $(TYPE_BUDGET) $(RUN) mypy .

pytest: install
	timeout $(TEST_BUDGET) $(RUN) pytest -q -p no:cacheprovider

test: lint typecheck pytest

dev: install
	$(RUN) python -m devstack

demo: install
	$(RUN) python -m devstack --demo

# Benchmarks and the chaos run start their own embedded stack on free 127.0.0.1 ports.
bench: install
	$(RUN) python -m bench --full

bench-quick: install
	timeout 900 $(RUN) python -m bench --quick $(BENCH_ARGS)

CHAOS_SEEDS ?= 1 2 3
chaos: install
	set -e; for seed in $(CHAOS_SEEDS); do $(RUN) python -m bench.chaos --seed $$seed; done

chaos-quick: install
	timeout 900 $(RUN) python -m bench.chaos --quick --seed $${CHAOS_SEED:-1}

screenshots: install
	$(RUN) python scripts/screenshots.py
	$(RUN) python scripts/receipt_screenshots.py

clean:
	rm -rf .data .bootstrap .venv .mypy_cache .ruff_cache
