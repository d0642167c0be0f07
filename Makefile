# Guanxi CRM developer tasks.  `make run` starts everything; `.ci/run` is what CI does.

PY ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=
PYTEST := DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -n auto -p no:cacheprovider $(PYTEST_ARGS)
# Only for `make check-deploy`: a fixed, non-secret key of production-like shape (60 chars).
CHECK_SECRET_KEY := ci-not-secret-Y5hI4DkYqePNVkE1Ig2mQHNxr4KeNYu0NWLLzspg5263aq

.PHONY: venv assets messages run test test-pg lint schema check-deploy clean system-run system-test

# Debian packages (gettext; chromium and the CJK font for browser tests): installed when missing,
# or the target stops at once with the exact command to run.
system-run:
	scripts/system_packages.sh run

system-test:
	scripts/system_packages.sh test

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PY) -m venv $(VENV) && $(VENV)/bin/pip install -r requirements.txt
	touch $@

# npm ci only when package-lock.json (or package.json) is newer than the last install.
node_modules/.installed: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

assets: venv node_modules/.installed
	$(PYTHON) scripts/copy_assets.py

messages: venv system-run
	$(PYTHON) manage.py compilemessages --ignore=.venv --ignore=node_modules

run: system-run venv assets messages
	$(PYTHON) scripts/run.py

test: system-test venv assets messages
	env -u DATABASE_URL $(PYTEST)

test-pg: system-test venv assets messages
	DATABASE_URL="$${DATABASE_URL:-postgres://127.0.0.1:5432/test}" $(PYTEST)

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

schema: venv
	mkdir -p var
	$(PYTHON) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

check-deploy: venv
	CRM_ENV=production SECRET_KEY=$(CHECK_SECRET_KEY) ALLOWED_HOSTS=crm.example.com DEBUG=0 \
		$(PYTHON) manage.py check --deploy --fail-level WARNING

# Build output only; keeps .venv, node_modules and var/ (the development database).
clean:
	rm -rf static/vendor staticfiles test-results .pytest_cache .ruff_cache .hypothesis var/openapi.yaml
	find . \( -path ./.venv -o -path ./node_modules -o -path ./.git \) -prune -o \
		-name __pycache__ -type d -prune -print0 -o \
		\( -name '*.pyc' -o -name '*.mo' \) -type f -print0 | xargs -0 -r rm -rf
