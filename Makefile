# The README's commands. Everything runs from a virtual environment in .venv,
# built on first use from the pinned requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PATH := $(BIN):$(PATH)
# The port `make run` serves on; every process gets it, so that the links the worker
# and beat send (SITE_URL's default, symptom_tracker/settings.py) name the same port.
WEB_PORT ?= 8000
export WEB_PORT

.PHONY: setup run test lint format bench load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# A development .env: DEBUG asked for, and a random SECRET_KEY kept on this machine.
.env:
	$(PYTHON) -c "import secrets; print('DEBUG=1'); print('SECRET_KEY=' + secrets.token_urlsafe(50))" > .env

setup: $(STAMP) .env
	mkdir -p var

run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	SMS_FILE=$${SMS_FILE:-var/sms.log} $(BIN)/honcho start -f Procfile

test: setup
	DEBUG=0 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/run.py

# Locust and its dependencies, only for the load scenario.
LOAD_STAMP := $(VENV)/.load-installed-stamp
$(LOAD_STAMP): $(STAMP) bench/requirements.txt
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	touch $(LOAD_STAMP)

# 100 patients and 10 nurses for 2 minutes on gunicorn, PostgreSQL, Redis, the workers and
# beat (bench/load/run.py; LOAD_ARGS="-t 20s" for a short run, "--instances 2" for two of
# everything as on two machines, LOAD_ARGS=--help for the rest).
load: setup $(LOAD_STAMP)
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
