#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with the management, prometheus and stream
# plugins) answer before the tests or `make up` need them.
#   - already reachable: one "ok" line per server, nothing else;
#   - installed on this machine but stopped: start it and wait (bounded);
#   - not installed: say what to install and exit non-zero.
# Idempotent; run by `make test`, `make up` and `make bootstrap`.
set -euo pipefail

WAIT_SECONDS=${ENSURE_SERVERS_TIMEOUT:-60}

# Host and port default to the ones in the URLs the platform itself uses, so a
# single POSTGRES_URL / AMQP_URI setting is enough; explicit overrides win.
url_host() { local s=${1#*://}; s=${s##*@}; s=${s%%/*}; s=${s%%\?*}; echo "${s%:*}"; }
url_port() { local s=${1#*://}; s=${s##*@}; s=${s%%/*}; s=${s%%\?*}; [[ $s == *:* ]] && echo "${s##*:}" || echo "$2"; }
without_credentials() { sed -E 's#//[^@/]*@#//#' <<<"$1"; }

PG_URL=${POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
PG_URL=$(sed -E 's#^postgres(ql)?\+[a-z0-9]+:#postgresql:#' <<<"$PG_URL")   # drop a SQLAlchemy driver
POSTGRES_HOST=${POSTGRES_HOST:-$(url_host "$PG_URL")}
POSTGRES_PORT=${POSTGRES_PORT:-$(url_port "$PG_URL" 5432)}
AMQP=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
RABBITMQ_HOST=${RABBITMQ_HOST:-$(url_host "$AMQP")}
RABBITMQ_PORT=${RABBITMQ_PORT:-$(url_port "$AMQP" 5672)}
RABBITMQ_MANAGEMENT_URL=${RABBITMQ_MANAGEMENT_URL:-http://guest:guest@$RABBITMQ_HOST:15672}
MGMT_SHOWN=$(without_credentials "$RABBITMQ_MANAGEMENT_URL")

have() { command -v "$1" >/dev/null 2>&1; }
is_local() { [[ $1 == localhost || $1 == 127.* || $1 == ::1 || $1 == "$(hostname)" ]]; }
# Server start-up commands need root (they switch to the server's own user).
as_root() { if [[ $(id -u) -eq 0 ]] || ! have sudo; then "$@"; else sudo "$@"; fi; }

# A TCP connect through bash's /dev/tcp: no extra tool needed. `timeout` keeps
# an unroutable host from hanging the script.
port_open() { timeout 3 bash -c ": <>/dev/tcp/$1/$2" 2>/dev/null; }
pg_ready() {
  if have pg_isready; then pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -t 3
  else port_open "$POSTGRES_HOST" "$POSTGRES_PORT"; fi
}
rabbit_ready() { port_open "$RABBITMQ_HOST" "$RABBITMQ_PORT"; }
management_ready() { curl -fsS -o /dev/null --max-time 3 "${RABBITMQ_MANAGEMENT_URL%/}/api/overview" 2>/dev/null; }

wait_for() {  # wait_for CHECK: poll CHECK once a second, for WAIT_SECONDS at most
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

not_installed() {  # not_installed NAME HOST:PORT
  local why="no local server is installed"
  is_local "${2%:*}" || why="it is not on this machine, so it is not started from here"
  cat >&2 <<EOF
$1: nothing answers at $2 ($why).
  Install both servers:   sudo apt-get install postgresql rabbitmq-server curl
  or run them in Docker:  docker compose up -d postgres rabbitmq
  or point POSTGRES_URL / AMQP_URI / RABBITMQ_MANAGEMENT_URL at running servers.
EOF
}

failed=0

# --- PostgreSQL --------------------------------------------------------------
ensure_postgres() {
  local where="$POSTGRES_HOST:$POSTGRES_PORT"
  if ! pg_ready; then
    if ! is_local "$POSTGRES_HOST" || ! have pg_lsclusters || [[ -z $(pg_lsclusters -h) ]]; then
      not_installed PostgreSQL "$where"; return 1
    fi
    echo "PostgreSQL: not answering at $where; starting the local clusters..."
    local ver name _port status _rest
    while read -r ver name _port status _rest; do
      [[ $status == online* ]] && continue
      # --skip-systemctl-redirect: works with or without systemd (containers, CI).
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start \
        || echo "PostgreSQL: could not start cluster $ver/$name (see /var/log/postgresql/)" >&2
    done < <(pg_lsclusters -h)
    if ! wait_for pg_ready; then
      echo "PostgreSQL: still not answering at $where after ${WAIT_SECONDS}s (see /var/log/postgresql/)" >&2
      return 1
    fi
  fi
  # Reachable is not enough: a fresh Debian install refuses TCP logins without
  # a password. Check the credentials the platform will use when psql is here.
  local err
  if have psql && ! err=$(PGCONNECT_TIMEOUT=5 psql "$PG_URL" -Atqc 'select 1' 2>&1 >/dev/null); then
    cat >&2 <<EOF
PostgreSQL: answers at $where, but logging in with POSTGRES_URL fails:
  $err
  A fresh Debian install refuses password-less TCP logins: give the user a
  password and put it in POSTGRES_URL (.env), for example:
    sudo -u postgres psql -c "ALTER USER postgres PASSWORD 'postgres'"
    POSTGRES_URL=postgresql://postgres:postgres@$where
EOF
    return 1
  fi
  echo "PostgreSQL: ok at $where"
}

# --- RabbitMQ ----------------------------------------------------------------
ensure_rabbitmq() {
  local where="$RABBITMQ_HOST:$RABBITMQ_PORT" local_cli=0
  is_local "$RABBITMQ_HOST" && have rabbitmq-server && local_cli=1
  if ! rabbit_ready; then
    if ((!local_cli)); then not_installed RabbitMQ "$where"; return 1; fi
    echo "RabbitMQ: not answering at $where; starting rabbitmq-server -detached..."
    # Detached node: keep it off our stdout so a caller reading our output
    # (CI, a pipe) is not held open by the broker.
    # Every quorum queue keeps files open: with the usual 1024 descriptors a
    # few test vhosts exhaust the node and new connections hang. Raise the
    # limit for the node (as systemd's unit does) before starting it.
    as_root sh -c 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec rabbitmq-server -detached' \
      </dev/null >/dev/null 2>&1 || true
    if ! wait_for rabbit_ready; then
      echo "RabbitMQ: still not answering at $where after ${WAIT_SECONDS}s (see /var/log/rabbitmq/)" >&2
      return 1
    fi
  fi
  if ! have curl; then
    echo "RabbitMQ: curl is needed to check the management API: sudo apt-get install curl" >&2
    return 1
  fi
  # Management API (nameko's test fixtures and the bootstrap use it), Prometheus
  # metrics (:15692) and streams (:5552, the analytics stream). Enabling is
  # idempotent and works on the running node; skip the slow CLI when all answer.
  if ((local_cli)) && ! { management_ready && port_open "$RABBITMQ_HOST" 15692 && port_open "$RABBITMQ_HOST" 5552; }; then
    echo "RabbitMQ: enabling plugins rabbitmq_management rabbitmq_prometheus rabbitmq_stream..."
    local out
    if ! out=$(as_root rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus rabbitmq_stream 2>&1); then
      echo "$out" >&2
      echo "RabbitMQ: rabbitmq-plugins failed (see above)" >&2
      return 1
    fi
  fi
  if ! wait_for management_ready; then
    if ((local_cli)); then
      echo "RabbitMQ: the management API does not answer at $MGMT_SHOWN after ${WAIT_SECONDS}s" >&2
    else
      echo "RabbitMQ: the management API does not answer at $MGMT_SHOWN." >&2
      echo "  Enable the plugins on that server: rabbitmq-plugins enable rabbitmq_management rabbitmq_prometheus rabbitmq_stream" >&2
      echo "  (or set RABBITMQ_MANAGEMENT_URL to where the management API listens)" >&2
    fi
    return 1
  fi
  echo "RabbitMQ: ok at $where (management API at $MGMT_SHOWN)"
}

ensure_postgres || failed=1
ensure_rabbitmq || failed=1
exit "$failed"
