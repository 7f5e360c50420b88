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

.PHONY: setup run dev test lint format bench load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# A development .env: a random SECRET_KEY kept on this machine.
.env:
	$(PYTHON) -c "import secrets; print('SECRET_KEY=' + secrets.token_urlsafe(50))" > .env

setup: $(STAMP) .env
	mkdir -p var

# `make run` serves the product's own pages (its 404 and 500, not Django's debug
# pages) over plain http on this machine: DEBUG off whatever .env says, no https
# redirect or secure-only cookies, static files served by WhiteNoise from their
# folders (STATIC_MANIFEST=0: no collectstatic). `make dev`, or DEBUG=1 make run, asks
# for the debug pages. Each variable may be set to override it.
RUN_ENV = DEBUG=$${DEBUG:-0} \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]}" \
	SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} SECURE_COOKIES=$${SECURE_COOKIES:-0} \
	SECURE_HSTS_SECONDS=$${SECURE_HSTS_SECONDS:-0} STATIC_MANIFEST=$${STATIC_MANIFEST:-0} \
	SMS_FILE="$${SMS_FILE:-$${VAR_DIR:-var}/sms.log}"

# Ctrl-C stops every process (honcho sends each a SIGTERM; the workers' solo pool
# has no child to die loudly) and the recipe ends quietly instead of "Error 130".
# honcho reads no .env of its own (--env /dev/null): it would put .env's values over
# these; the settings read .env, under the environment.
run: setup
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(WEB_PORT)/ (links in alerts use SITE_URL; Ctrl-C stops)"
	@trap 'echo "make run: stopped."; exit 0' INT TERM; \
	$(RUN_ENV) $(BIN)/honcho start -f Procfile --env /dev/null

dev:
	DEBUG=1 $(MAKE) run

# The suite runs on a worker per core (pytest-xdist), each module whole on one worker
# so that its module-scoped set-up (a browser, a live server) is made once;
# TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: setup
	DEBUG=0 $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

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
