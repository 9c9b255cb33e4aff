# Developer entry points. `make help` lists them.
# Works on a fresh Debian 12 machine with Python 3.11; no Docker needed.

.DEFAULT_GOAL := help
.PHONY: help venv servers tools test up bootstrap status stop logs clean

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.requirements.stamp
SUPERVISOR  := infra/supervisor/supervisord.conf
PYTEST_ARGS ?=

# --- Configuration -------------------------------------------------------------
# Precedence, as with docker compose and python-dotenv: `make VAR=...` >
# the caller's environment > .env > the defaults below. .env is turned into
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

# Defaults that work on a developer machine, so the platform runs with no .env.
# Exported: the bootstrap, the tests and every supervised process read them.
export AMQP_URI                ?= amqp://guest:guest@127.0.0.1:5672/
export RABBITMQ_MANAGEMENT_URL ?= http://guest:guest@127.0.0.1:15672
export POSTGRES_URL            ?= postgresql://postgres@127.0.0.1:5432
export DB_NAME_PREFIX          ?= platform_
export PLATFORM_ADMIN_EMAIL    ?= admin@pilote.example.fr
export PLATFORM_ADMIN_PASSWORD ?= ChangeMe-Pilote-2026!
export JWT_PRIVATE_KEY_PATH    ?= var/keys/jwt_ed25519.pem
export JWT_PUBLIC_KEY_PATH     ?= var/keys/jwt_ed25519.pub.pem
export RPC_TIMEOUT_SECONDS     ?= 5
export EVENT_MAX_DELIVERIES    ?= 5
export GATEWAY_HOST            ?= 127.0.0.1
export GATEWAY_PORT            ?= 8000
export WEB_HOST                ?= 127.0.0.1
export WEB_PORT                ?= 8080
export NAMEKO_MAX_WORKERS      ?= 10
export LOG_LEVEL               ?= INFO

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  (make test PYTEST_ARGS='-k outbox -x' passes arguments to pytest)"

# --- Python environment --------------------------------------------------------
# The stamp is newer than requirements.txt once it is installed: editing the
# pins reinstalls, deleting .venv recreates it, otherwise nothing happens.
venv: $(STAMP) ## create .venv and install requirements.txt (only when needed)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) \
	  || { echo "Could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

servers: ## start PostgreSQL and RabbitMQ if they are installed but stopped
	@infra/scripts/ensure-servers.sh

tools: ## install the test tools when missing (promtool from Debian's prometheus package, chromium)
	@infra/scripts/ensure-tools.sh

# --- Tests and the running platform ---------------------------------------------
# make exits 2 on any failure; the line "make: *** [test] Error N" shows pytest's own code.
test: venv servers tools ## run the test suite (real PostgreSQL and RabbitMQ)
	$(PY) -m pytest $(PYTEST_ARGS)

bootstrap: venv servers ## keys, databases, migrations, RabbitMQ topology, pilot data (idempotent)
	$(PY) -m shared.bootstrap

# supervisord replaces the make shell (exec): Ctrl-C reaches it, and it stops
# every program cleanly. Its own log (starts, exits, restarts) is shown live by
# a tail that ends with it (--pid); supervisord itself never writes to the
# terminal (see silent= in supervisord.conf).
up: bootstrap ## run every service and the gateway in the foreground (Ctrl-C stops them)
	@mkdir -p var/log var/run
	@! $(VENV)/bin/supervisorctl -c $(SUPERVISOR) pid >/dev/null 2>&1 \
	  || { echo "The platform is already running here: make status, make stop"; exit 1; }
	@echo
	@echo "  web app         http://$(WEB_HOST):$(WEB_PORT)"
	@echo "  API             http://$(GATEWAY_HOST):$(GATEWAY_PORT)"
	@echo "  API docs        http://$(GATEWAY_HOST):$(GATEWAY_PORT)/docs"
	@echo "  gateway metrics http://$(GATEWAY_HOST):$(GATEWAY_PORT)/metrics"
	@echo "  service metrics http://127.0.0.1:9101..9107/metrics (identity, posts, moderation, analytics, events, mentoring, notifications)"
	@echo "  e-mails         var/mail/*.eml (local SMTP sink on port $${SMTP_SINK_PORT:-1025})"
	@echo "  data stream     python -m tools.datastream tail (RabbitMQ stream analytics.stream.v1)"
	@echo "  RabbitMQ        $(shell echo '$(RABBITMQ_MANAGEMENT_URL)' | sed -E 's#//[^@/]*@#//#') (guest/guest by default)"
	@echo "  admin           $(PLATFORM_ADMIN_EMAIL) (password: PLATFORM_ADMIN_PASSWORD, see .env.example)"
	@echo "  logs            make logs (var/log/*.log); state: make status; Ctrl-C stops it all"
	@echo
	@touch var/log/supervisord.log
	tail -n 0 -F --pid=$$$$ var/log/supervisord.log & exec $(VENV)/bin/supervisord -n -c $(SUPERVISOR)

status: ## state of the supervised processes (while `make up` runs)
	@test -S var/run/supervisor.sock || { echo "supervisord is not running: start it with make up"; exit 1; }
	@$(VENV)/bin/supervisorctl -c $(SUPERVISOR) status

# supervisorctl reports an error when the socket vanishes under it: wait for that instead.
stop: ## stop a `make up` that lost its terminal (same as Ctrl-C in it)
	@test -S var/run/supervisor.sock || { echo "supervisord is not running"; exit 0; }
	@$(VENV)/bin/supervisorctl -c $(SUPERVISOR) shutdown >/dev/null 2>&1 || true
	@for i in $$(seq 60); do test -S var/run/supervisor.sock || { echo "stopped"; exit 0; }; sleep 1; done; \
	  echo "supervisord is still stopping: see var/log/supervisord.log"; exit 1

logs: ## follow the logs of every supervised process
	@mkdir -p var/log
	tail -n 20 -F var/log/*.log

clean: ## remove .venv and var/ run files (keeps databases and var/keys)
	rm -rf $(VENV) var/run var/log var/dotenv.mk
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
