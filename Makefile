# Developer entry points. `make help` lists them.
# Works on a fresh Debian 12 machine with Python 3.11; no Docker needed.

.DEFAULT_GOAL := help
.PHONY: help venv lock servers tools up-tools test bench bench-scaling up bootstrap status stop logs clean chaos chaos-cluster chaos-private

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.requirements.stamp
LOCK        := requirements.lock
DEV_LOCK    := requirements-dev.lock
SUPERVISOR  := infra/supervisor/supervisord.conf
PYTEST_ARGS ?=

# --- Configuration -------------------------------------------------------------
# The defaults are in one place, the settings classes (shared/settings.py and
# each service's settings.py); this file only passes .env on. Precedence:
# `make VAR=...` > the caller's environment > .env > the defaults. .env is turned into
# `export VAR ?= value` lines: quotes dropped, `$` and `#` kept literal (so no
# comment after a value).
ifneq (,$(wildcard .env))
include var/dotenv.mk
var/dotenv.mk: .env
	@mkdir -p $(@D)
	@sed -E -e '/^[[:space:]]*(#|$$)/d' -e 's/\$$/$$$$/g' -e 's/#/\\#/g' \
	        -e 's/^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*/export \2 ?= /' \
	        -e "s/ \?= ([\"'])(.*)\1[[:space:]]*$$/ ?= \2/" .env > $@
endif

# make up, make bootstrap and make test run a developer's platform: the
# bootstrap may then make keys and seed the README's admin password.
export PLATFORM_ENV ?= development

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  (make test PYTEST_ARGS='-k outbox -x' passes arguments to pytest)"

# --- Python environment --------------------------------------------------------
# pyproject.toml says what the code needs (ranges); `make lock` resolves it with
# pip-tools into exact versions with hashes:
#   requirements.lock      what runs (the Docker image installs it);
#   requirements-dev.lock  the same versions plus the test and dev extras: what
#                          .venv gets, for make test and make up.
# The stamp is newer than the locks once .venv matches them: a new lock
# reinstalls (pip-sync then removes what it no longer lists), deleting .venv
# recreates it, otherwise nothing happens.
venv: $(STAMP) ## create .venv and install requirements-dev.lock (only when needed)

$(STAMP): $(DEV_LOCK) $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	@test -x $(VENV)/bin/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); } \
	  || { rm -rf $(VENV); echo "Could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --disable-pip-version-check -q -r $(DEV_LOCK)
	$(VENV)/bin/pip-sync -q $(DEV_LOCK)
	@touch $@

# pip-tools resolves with pip's own code, so it reads the same index settings as
# pip (pip.conf, PIP_* variables). Pins already in the locks are kept: only what
# pyproject.toml changed moves. LOCK_ARGS=--upgrade (or --upgrade-package NAME)
# moves versions on purpose.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: venv ## resolve pyproject.toml into requirements.lock and requirements-dev.lock
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) \
	  -o $(LOCK) pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) \
	  --extra test --extra dev -c $(LOCK) -o $(DEV_LOCK) pyproject.toml

servers: ## install (as root) and start PostgreSQL and RabbitMQ when missing or stopped
	@infra/scripts/ensure-servers.sh

tools: ## install the test tools when missing (promtool from Debian's prometheus package, chromium)
	@infra/scripts/ensure-tools.sh test

up-tools: ## install what make up runs besides the platform when missing (PostgreSQL's exporter)
	@infra/scripts/ensure-tools.sh up

# --- Tests and the running platform ---------------------------------------------
# make exits 2 on any failure; the line "make: *** [test] Error N" shows pytest's own code.
test: venv servers tools ## run the test suite (real PostgreSQL and RabbitMQ)
	$(PY) -m pytest $(PYTEST_ARGS)

# Not part of make test: a few minutes of load on the whole machine.
bench: venv servers ## measure the gateway's paths as ratios to the floor (wrk; writes docs/benchmarks.md)
	@infra/scripts/ensure-tools.sh bench
	$(PY) -m bench.ratios

# Also not part of make test: the stack pinned to one core then two (taskset), about 2 minutes.
# SCALING_ARGS=--pin-servers pins the machine's RabbitMQ and PostgreSQL with it (a machine of one's own).
bench-scaling: venv servers ## reads on two cores against one (taskset; writes docs/benchmarks.md)
	@infra/scripts/ensure-tools.sh bench
	$(PY) -m bench.scaling $(SCALING_ARGS)

bootstrap: venv servers ## keys, databases, migrations, RabbitMQ topology, pilot data (idempotent)
	$(PY) -m stack.bootstrap

# supervisord replaces the make shell (exec): Ctrl-C reaches it, and it stops
# every program cleanly. Its own log (starts, exits, restarts) is shown live by
# a tail that ends with it (--pid); supervisord itself never writes to the
# terminal (see silent= in supervisord.conf).
up: bootstrap up-tools ## run every service and the gateway in the foreground (Ctrl-C stops them)
	@mkdir -p var/log var/run
	@! $(VENV)/bin/supervisorctl -c $(SUPERVISOR) pid >/dev/null 2>&1 \
	  || { echo "The platform is already running here: make status, make stop"; exit 1; }
	@$(PY) -m stack.leftovers
	@$(PY) -m stack.banner
	@touch var/log/supervisord.log
	tail -n 0 -F --pid=$$$$ var/log/supervisord.log & exec $(VENV)/bin/supervisord -n -c $(SUPERVISOR)

status: ## state of the supervised processes (while `make up` runs)
	@test -S var/run/supervisor.sock || { echo "supervisord is not running: start it with make up"; exit 1; }
	@$(VENV)/bin/supervisorctl -c $(SUPERVISOR) status

# supervisorctl reports an error when the socket vanishes under it: wait for that instead.
stop: ## stop a `make up` that lost its terminal (same as Ctrl-C in it)
	@test -S var/run/supervisor.sock || { echo "supervisord is not running"; $(PY) -m stack.leftovers; exit $$?; }
	@$(VENV)/bin/supervisorctl -c $(SUPERVISOR) shutdown >/dev/null 2>&1 || true
	@for i in $$(seq 60); do test -S var/run/supervisor.sock || { echo "stopped"; exit 0; }; sleep 1; done; \
	  echo "supervisord is still stopping: see var/log/supervisord.log"; exit 1

# Against the platform `make up` runs (start it in another terminal first); about
# 20 minutes. CHAOS_ARGS passes options, e.g. CHAOS_ARGS='--only kill --load-seconds 20'.
chaos: venv ## fault experiments against the running platform, with a ledger of every write (docs/chaos.md)
	$(PY) -m tools.chaos $(CHAOS_ARGS)

# Not against `make up`: starts its own three RabbitMQ nodes (5681-5683, management
# 15681-15683, never the machine's broker), its own databases and processes; needs
# root (or the rabbitmq user) to run rabbitmq-server. About 6 minutes.
chaos-cluster: venv servers ## the platform on a three-node RabbitMQ cluster, one node killed under load (docs/chaos.md)
	$(PY) -m tools.chaos --cluster $(CHAOS_ARGS)

# Not against `make up` either: the same experiments as `make chaos` on a PostgreSQL
# (5491), a RabbitMQ node (5691, management 15691) and an SMTP sink of the run's own,
# so stopping them for a minute breaks nobody's tests. Needs root (initdb runs as
# the postgres user). About 40 minutes.
chaos-private: venv ## every chaos experiment, on servers of the run's own (docs/chaos.md)
	$(PY) -m tools.chaos --private $(CHAOS_ARGS)

logs: ## follow the logs of every supervised process
	@mkdir -p var/log
	tail -n 20 -F var/log/*.log

clean: ## remove .venv and var/ run files (keeps databases and var/keys)
	rm -rf $(VENV) var/run var/log var/dotenv.mk
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
