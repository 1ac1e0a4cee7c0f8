# SmartCoop — two commands for a fresh machine:
#   make run    environment, migrations, demo data; starts web + Celery worker + beat
#   make test   environment, then the whole test suite
# Embedded SQLite and a server-less broker by default; PostgreSQL/Redis when DATABASE_URL
# (and DATABASE_OWNER_URL) / REDIS_URL are set. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_SYSTEM_CERTS := 1
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

# Debian packages the project needs: gettext (message catalogues); Pango and the HarfBuzz subset
# library for WeasyPrint (PDF documents).
SYSTEM_PACKAGES := gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# Only for `make test`: Chromium and its driver for the browser tests (Selenium).
TEST_PACKAGES := chromium chromium-driver

.PHONY: help
help:
	@echo "make run    start SmartCoop with demo data (http://127.0.0.1:$(PORT)/)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff check + format check"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

.PHONY: venv
venv: $(VENV)/.synced

.PHONY: system-deps test-system-deps
test-system-deps: SYSTEM_PACKAGES += $(TEST_PACKAGES)
test-system-deps: system-deps
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "Please install:$$missing" >&2; exit 1; fi; \
	  echo "Installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

.PHONY: run
run: system-deps venv
	@mkdir -p var
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --noinput -v 0
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py sync_beat_schedule
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py seed_demo
	@echo "SmartCoop runs at http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} PORT=$(PORT) $(VENV)/bin/honcho -f Procfile start

# Front-end packages from the npm registry (package-lock.json): axe-core for the browser tests'
# accessibility checks; uPlot, whose built files `make vendor` copies into static/vendor/.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) system-deps SYSTEM_PACKAGES=npm
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: vendor
vendor: node_modules/.installed
	mkdir -p static/vendor/uplot
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE static/vendor/uplot/

.PHONY: test
test: test-system-deps venv node_modules/.installed
	@if [[ "$${DATABASE_OWNER_URL:-}" == postgres* ]]; then bin/pg-setup; fi
	$(PY) -m pytest $(PYTEST_ARGS)

# The README's screenshots: the browser tests in German and Arabic and on a phone, copied from
# the test artefacts into docs/screenshots (needs PostgreSQL like the tests; see README).
README_SHOTS := de-dashboard de-invoice-form de-planner de-budget ar-planner ar-payslip phone-de-invoice-form phone-de-payslip
.PHONY: screenshots
screenshots: test-system-deps venv node_modules/.installed
	rm -rf var/readme-artifacts
	SMARTCOOP_TEST_ARTIFACTS=$(CURDIR)/var/readme-artifacts $(PY) -m pytest -q -p no:cacheprovider tests/journeys/test_languages_and_phone.py -k right_to_left
	mkdir -p docs/screenshots
	for shot in $(README_SHOTS); do cp var/readme-artifacts/screenshots/$$shot.png docs/screenshots/; done

.PHONY: lint
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: messages
messages: venv
	$(PY) manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=.tools --ignore=staticfiles --ignore=tests --ignore=var --ignore=node_modules
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.tools --ignore=node_modules

.PHONY: bench
bench: venv
	$(PY) manage.py bench rls
	$(PY) manage.py bench invoice_issue
	$(PY) manage.py bench invoice_pdf
	$(PY) manage.py bench bank_import
	$(PY) manage.py bench dunning
	$(PY) manage.py bench payroll
	$(PY) manage.py bench export
	$(PY) manage.py bench api

.PHONY: pg-setup
pg-setup:
	bin/pg-setup
