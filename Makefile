# Two entry points (README): `make demo` sets everything up and opens the dashboard on the bundled sample audit;
# `make test` sets everything up and runs the whole test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: install demo test test-fast lint format system-deps models bench complexity clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the browser test and the PDF checks need (chromium, pdftoppm). Needs root; skipped otherwise.
system-deps:
	@bash scripts/install_system_deps.sh

# Listens on this machine only; see README (Dashboard) for exposing it behind a password.
demo: $(STAMP)
	$(BIN)/python -m dashboard.prebuild
	$(BIN)/streamlit run dashboard/app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT) -- --demo

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

models: $(STAMP)
	$(BIN)/python sample_data/build_models.py

# The ten most complex functions of the product (radon cyclomatic complexity); aim: none above 20.
complexity: $(STAMP)
	@$(BIN)/radon cc -j audits reports dashboard | $(BIN)/python -c "import json, sys; \
	blocks = [(b['complexity'], f'{f}:{b[\"lineno\"]}', b['name']) for f, bs in json.load(sys.stdin).items() for b in bs]; \
	print('Most complex functions (radon cc):'); \
	[print(f'{c:4d}  {n:40s} {w}') for c, w, n in sorted(blocks, reverse=True)[:10]]"

bench: $(STAMP)
	$(BIN)/python benchmarks/full_audit.py

clean:
	rm -rf $(VENV) audit_out artifacts .pytest_cache
