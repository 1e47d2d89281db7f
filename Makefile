# Every target calls the same scripts CI calls (.ci/run runs `make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := src/sharewell/web/static/govuk/govuk-frontend.min.css
PEOPLE ?= 2000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test bench lint format catalogue clean

install: $(INSTALLED) $(ASSETS)

$(INSTALLED): pyproject.toml
	@echo "Installing sharewell and its Python packages into $(VENV) (a minute or two the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@echo "Installing GOV.UK Frontend from npm..."
	npm ci --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json
	scripts/build-assets.sh

OIDC_PORT ?= 8001

## demo: set up ./var with the demo borough and serve it on http://127.0.0.1:8000, with the
## local sign-in service residents use (a stand-in for GOV.UK One Login) on port 8001
demo: install
	@echo "Setting up ./var with the demo borough..."
	$(BIN)/sharewell init
	$(BIN)/sharewell demo seed --people $(PEOPLE) --seed 1
	$(BIN)/sharewell demo oidc-provider --host $(HOST) --port $(OIDC_PORT) \
	  --redirect-uri http://$(HOST):$(PORT)/sign-in/callback \
	  --redirect-uri http://localhost:$(PORT)/sign-in/callback & provider=$$!; \
	  trap 'kill $$provider 2>/dev/null' EXIT INT TERM; \
	  SHAREWELL_OIDC_ISSUER=http://$(HOST):$(OIDC_PORT) $(BIN)/sharewell serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/sharewell serve --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite and on PostgreSQL
test: install
	scripts/test.sh

bench: install
	scripts/bench.sh

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests benchmarks scripts
	$(BIN)/ruff format src tests benchmarks scripts

## catalogue: recompile the gateway catalogue from ../shared/reference
catalogue: install
	$(BIN)/python scripts/catalogue/compile.py

clean:
	rm -rf $(VENV) node_modules src/sharewell/web/static/govuk test-artifacts
