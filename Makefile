# The README's commands. Everything a fresh clone needs is installed from here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test bench bench-quick bench-instructions screenshots venv venv-dev system-deps node-deps lint clean

# Python 3.12+: pyenv's (the repo's .python-version names 3.13), else the newest on PATH.
define find_python
	for candidate in "$$(pyenv which python 2>/dev/null || true)" python3.13 python3.12 python3; do \
	  [ -n "$$candidate" ] || continue; \
	  path="$$(command -v "$$candidate" 2>/dev/null || true)"; [ -n "$$path" ] || continue; \
	  if "$$path" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo "$$path"; exit 0; fi; \
	done; \
	echo "error: Python 3.12 or newer is needed (the repo's .python-version names 3.13; try 'pyenv install 3.13')." >&2; exit 1
endef

$(VENV)/.created:
	@python_bin="$$($(find_python))"; \
	echo "Creating $(VENV) with $$python_bin ($$("$$python_bin" --version))"; \
	"$$python_bin" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check ".[dev]"
	touch $@

venv: $(VENV)/.installed

# umask 077: whatever these write into var/ (the collected static files too) is the owner's
# alone; the settings make var/ itself 0700 and the database 0600 whatever the umask.
run: venv
	umask 077 && $(PY) manage.py migrate --no-input -v 0
	umask 077 && $(PY) manage.py collectstatic --no-input -v 0
	umask 077 && $(PY) manage.py ensure_demo_user
	@echo "Serving the console on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	@echo "Passkeys need a host name, not an IP address: open http://localhost:$(PORT)/ for them"
	umask 077 && exec $(VENV)/bin/gunicorn console.wsgi -c console/gunicorn.conf.py

# Debian's chromium and AWS CLI v2 (PyPI's awscli is v1 and lacks `configure import`).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	/usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2' || missing="$$missing awscli"; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: install the Debian packages$$missing (as root: apt-get install$$missing)" >&2; exit 1; fi; \
	fi

node-deps: tests/clients/node_modules/.installed
tests/clients/node_modules/.installed: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Static checks first (ruff with the security rules, bandit), then the suite: always on
# SQLite, and again on PostgreSQL when TEST_DATABASE_URL names one (CI sets it).
test: venv system-deps node-deps lint
	env -u TEST_DATABASE_URL -u DATABASE_URL $(PY) -m pytest -p xdist -n 2 --dist loadgroup
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
	  echo "Again on PostgreSQL ($${TEST_DATABASE_URL%%\?*})"; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest -p xdist -n 2 --dist loadgroup; \
	fi

lint: venv
	.ci/outside-paths
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r console accounts keys -x '*/migrations/*'

clean:
	rm -rf $(VENV) tests/clients/node_modules

# The load benchmark (bench/run.py says how): its own virtualenv bench/.venv with the peers
# (moto) and tools (boto3, matplotlib, py-spy), and Debian's wrk. BENCH_ACCOUNTS=100000 etc.
# pass through; bench-quick is the short version (3 s runs, one round, bench/results/quick.*).
BENCH_VENV := bench/.venv
BENCH_PY := $(BENCH_VENV)/bin/python
# $(call debian_tool,NAME): Debian's package NAME, which installs the command NAME, when missing.
define debian_tool
	if ! command -v $(1) >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's $(1)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	  else echo "error: this needs $(1) (as root: apt-get install $(1))" >&2; exit 1; fi; \
	fi
endef
define bench_setup
	$(call debian_tool,wrk)
	if [ ! -x $(BENCH_PY) ]; then \
	  python_bin="$$($(find_python))"; \
	  echo "Creating $(BENCH_VENV) with $$python_bin ($$("$$python_bin" --version))"; \
	  "$$python_bin" -m venv $(BENCH_VENV); \
	fi
	if [ ! -f $(BENCH_VENV)/.installed ] || [ bench/requirements.txt -nt $(BENCH_VENV)/.installed ]; then \
	  $(BENCH_PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt; \
	  touch $(BENCH_VENV)/.installed; \
	fi
endef

bench: venv
	$(bench_setup)
	$(BENCH_PY) bench/run.py

bench-quick: venv
	$(bench_setup)
	BENCH_DURATION=3 BENCH_REPEAT=1 BENCH_OUT=bench/results/quick $(BENCH_PY) bench/run.py

# Instructions per request under valgrind (bench/instructions.py): ratios that a shared machine's
# changing speed does not move, for telling whether a change made a request cheaper.
bench-instructions: venv
	$(bench_setup)
	$(call debian_tool,valgrind)
	$(BENCH_PY) bench/instructions.py

screenshots: venv system-deps
	$(PY) docs/make_screenshots.py
