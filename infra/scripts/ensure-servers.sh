#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with the management, prometheus and stream
# plugins, in a version the platform supports) answer before the tests or
# `make up` need them.
#   - already reachable: one "ok" line per server, nothing else;
#   - installed on this machine but stopped: start it and wait (bounded);
#   - not installed, and we are root (or have password-less sudo): install the
#     Debian package without letting it start itself (infra/scripts/apt.sh),
#     then start it as above;
#   - not installed otherwise: say exactly what to install and exit non-zero.
# Idempotent; run by `make test`, `make up` and `make bootstrap`.
set -euo pipefail
# shellcheck source=infra/scripts/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

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

is_local() { [[ $1 == localhost || $1 == 127.* || $1 == ::1 || $1 == "$(hostname)" ]]; }
# Server start-up commands need root (they switch to the server's own user);
# unlike apt.sh's as_root, sudo may ask for a password here.
start_as_root() { if [[ $(id -u) -eq 0 ]] || ! have sudo; then "$@"; else sudo "$@"; fi; }

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

# install_if_missing NAME HOST PACKAGE...: install the packages of a server that
# is meant to run here, when we may; otherwise say exactly what to install.
install_if_missing() {
  local name=$1 host=$2 where=$3; shift 3
  local why
  if ! is_local "$host"; then
    why="it is not on this machine, so it is neither installed nor started from here"
  elif ! have apt-get; then
    why="no local server is installed, and this machine has no apt-get"
  elif ! can_be_root; then
    why="no local server is installed; installing one needs root or password-less sudo"
  else
    echo "$name: not installed; installing the Debian package(s) $* (started below, not by apt)..."
    apt_install "$@" && return 0
    why="apt-get install $* failed"
  fi
  cat >&2 <<EOF
$name: nothing answers at $where ($why).
  Install it:             sudo apt-get install $*
                          (as root, make test and make up install and start it themselves)
  or run it in Docker:    docker compose up -d postgres rabbitmq
  or point POSTGRES_URL / AMQP_URI / RABBITMQ_MANAGEMENT_URL at running servers.
EOF
  return 1
}

failed=0

# --- PostgreSQL --------------------------------------------------------------
# A cluster this script has just installed answers TCP logins from this machine
# without a password, as the default POSTGRES_URL expects (the compose stack's
# postgres does the same): a fresh Debian cluster asks for a password that its
# `postgres` user does not have. Loopback addresses only, and only the clusters
# of the package installed now, before their first start.
trust_local_logins() {
  local ver name _port status _rest hba
  while read -r ver name _port status _rest; do
    hba=$(pg_conftool -s "$ver" "$name" show hba_file 2>/dev/null) || hba=/etc/postgresql/$ver/$name/pg_hba.conf
    echo "PostgreSQL: the new cluster $ver/$name accepts password-less logins from 127.0.0.1 and ::1 (development only)"
    as_root sed -i '1i # Added by infra/scripts/ensure-servers.sh on a fresh install: a development server.\
host    all             all             127.0.0.1/32            trust\
host    all             all             ::1/128                 trust' "$hba"
    # Started by the package after all (a policy of the machine's own): reread.
    if [[ $status == online* ]]; then
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload || true
    fi
  done < <(pg_lsclusters -h)
}

ensure_postgres() {
  local where="$POSTGRES_HOST:$POSTGRES_PORT"
  if ! pg_ready; then
    if ! is_local "$POSTGRES_HOST" || ! have pg_lsclusters; then
      install_if_missing PostgreSQL "$POSTGRES_HOST" "$where" postgresql || return 1
      trust_local_logins
    fi
    if [[ -z $(pg_lsclusters -h) ]]; then
      echo "PostgreSQL: installed, but without a cluster: sudo pg_createcluster --start 15 main" >&2
      return 1
    fi
    echo "PostgreSQL: not answering at $where; starting the local clusters..."
    local ver name _port status _rest
    while read -r ver name _port status _rest; do
      [[ $status == online* ]] && continue
      # --skip-systemctl-redirect: works with or without systemd (containers, CI).
      start_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start \
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
# The platform is proven on RabbitMQ 3.10 to 3.13 (quorum queues with delivery
# limits, streams, the management API's policies). Outside that range say so
# and stop, unless RABBITMQ_ALLOW_UNSUPPORTED=1 (at the user's own risk).
# 4.x: the known differences (default quorum delivery limit 20, the meaning of
# x-delivery-count, listings counted as deliveries) are met by explicit
# settings (docs/messaging.md), but no 4.x broker has run the tests yet.
SUPPORTED_RABBITMQ="3.10 to 3.13"
supported_rabbitmq() { [[ $1 =~ ^3\.1[0-3]\. ]]; }

check_rabbitmq_version() {
  local where="$RABBITMQ_HOST:$RABBITMQ_PORT"
  RABBITMQ_VERSION=$(curl -fsS --max-time 5 "${RABBITMQ_MANAGEMENT_URL%/}/api/overview" 2>/dev/null \
    | grep -o '"rabbitmq_version" *: *"[^"]*"' | sed -E 's/.*"([^"]*)"$/\1/') || true
  if [[ -z $RABBITMQ_VERSION ]]; then
    echo "RabbitMQ: could not read the broker's version from $MGMT_SHOWN/api/overview" >&2
    return 1
  fi
  supported_rabbitmq "$RABBITMQ_VERSION" && return 0
  cat >&2 <<EOF
RabbitMQ: the broker at $where is version $RABBITMQ_VERSION; the platform is proven on
  RabbitMQ $SUPPORTED_RABBITMQ only. Use one of those:
    Debian 12's package:  sudo apt-get install rabbitmq-server   (3.10)
    or in Docker:         docker compose up -d rabbitmq          (3.10)
    or point AMQP_URI / RABBITMQ_MANAGEMENT_URL at a supported broker.
  To go on with $RABBITMQ_VERSION anyway, at your own risk: RABBITMQ_ALLOW_UNSUPPORTED=1
EOF
  if [[ ${RABBITMQ_ALLOW_UNSUPPORTED:-} == 1 ]]; then
    echo "RabbitMQ: RABBITMQ_ALLOW_UNSUPPORTED=1, going on with $RABBITMQ_VERSION" >&2
    return 0
  fi
  return 1
}

ensure_rabbitmq() {
  local where="$RABBITMQ_HOST:$RABBITMQ_PORT" local_cli=0
  is_local "$RABBITMQ_HOST" && have rabbitmq-server && local_cli=1
  if ! rabbit_ready; then
    if ((!local_cli)); then
      # curl: the management API is read with it, below.
      install_if_missing RabbitMQ "$RABBITMQ_HOST" "$where" rabbitmq-server curl || return 1
      local_cli=1
    fi
    echo "RabbitMQ: not answering at $where; starting rabbitmq-server -detached..."
    # Detached node: keep it off our stdout so a caller reading our output
    # (CI, a pipe) is not held open by the broker.
    # Every quorum queue keeps files open: with the usual 1024 descriptors a
    # few test vhosts exhaust the node and new connections hang. Raise the
    # limit for the node (as systemd's unit does) before starting it.
    start_as_root sh -c 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec rabbitmq-server -detached' \
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
    if ! out=$(start_as_root rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus rabbitmq_stream 2>&1); then
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
  check_rabbitmq_version || return 1
  echo "RabbitMQ: ok at $where, version $RABBITMQ_VERSION (management API at $MGMT_SHOWN)"
}

ensure_postgres || failed=1
ensure_rabbitmq || failed=1
exit "$failed"
