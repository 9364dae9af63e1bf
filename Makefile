# One entry point for setup, the local stack, lint, type check and tests; CI runs `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: install services test-tools migrate demo dev dashboard lint typecheck test deploy-web clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

services:
	bash scripts/services.sh

# Debian's prometheus (with promtool) and chromium, which the monitoring and browser tests run;
# each installed only if missing.
test-tools:
	bash scripts/install_test_tools.sh

migrate: install services
	$(BIN)/python -m livequiz.migrate

demo: migrate
	$(BIN)/python -m livequiz.demo $(ARGS)

dev: migrate
	$(BIN)/python -m livequiz.local $(ARGS)

# Play demo games under a real Prometheus and draw the dashboard to docs/images/dashboard.png.
dashboard: migrate test-tools
	$(BIN)/python scripts/dashboard_demo.py $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck migrate test-tools
	$(BIN)/python -m pytest $(ARGS)

# Upload web/ and its config.json to the deployed stack's bucket and invalidate CloudFront;
# needs the AWS CLI. ARGS="--stack-name NAME --region REGION --dry-run" as needed.
deploy-web: install
	$(BIN)/python scripts/deploy_web.py $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
