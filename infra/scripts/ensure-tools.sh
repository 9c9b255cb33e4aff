#!/usr/bin/env bash
# Make sure the command-line tools a make target needs are installed.
#   ensure-tools.sh test   (make test) promtool, from Debian's `prometheus`:
#                          checks the Prometheus configuration, the alert rules
#                          (and runs their unit tests) and every dashboard query;
#                          and chromium (Debian's `chromium`): the browser
#                          tests/web drives (Playwright cannot download its own
#                          browser here; CHROMIUM_PATH points elsewhere);
#   ensure-tools.sh bench  (make bench) wrk, from Debian's `wrk`: the HTTP load
#                          generator of bench/ratios.py;
#   ensure-tools.sh up     (make up) prometheus-postgres-exporter: PostgreSQL's
#                          metrics on :9187, the `postgres` scrape target of
#                          infra/prometheus/; supervisord runs it
#                          (infra/prometheus/postgres-exporter.sh).
#
#   - already installed: one "ok" line, nothing else;
#   - missing, and we are root (or have password-less sudo): apt-get install it,
#     without letting the package start a daemon of its own (infra/scripts/apt.sh);
#   - missing and not installable here: say what to install and exit 0, so the
#     tests that need it are skipped with that message. Under CI=true a missing
#     test tool is an error (exit 1): CI never skips them.
# Idempotent. A new tool is one more `ensure_tool COMMAND PACKAGE` line below.
set -euo pipefail
# shellcheck source=infra/scripts/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

PURPOSE=${1:-test}
case $PURPOSE in
  test) WITHOUT_IT="the tests that need it are skipped" ;;
  up)   WITHOUT_IT="make up runs without it" ;;
  bench) WITHOUT_IT="make bench stops" ;;
  *)    echo "usage: $0 [test|up|bench]" >&2; exit 2 ;;
esac

missing() {  # missing TOOL PACKAGE WHY
  if [[ $PURPOSE == test && ${CI:-} == true ]]; then
    echo "$1: not installed and could not be installed ($3). CI needs it: apt-get install $2" >&2
    exit 1
  fi
  echo "$1: not installed ($3); $WITHOUT_IT. Install it with: sudo apt-get install --no-install-recommends $2" >&2
}

ensure_tool() {  # ensure_tool TOOL PACKAGE
  if have "$1"; then
    echo "$1: ok ($(command -v "$1"))"
    return
  fi
  if ! have apt-get; then missing "$1" "$2" "no apt-get on this machine"; return; fi
  if ! can_be_root; then missing "$1" "$2" "installing needs root or password-less sudo"; return; fi
  echo "$1: installing the Debian package $2 (no daemon is started)..."
  if ! apt_install_tool "$2" || ! have "$1"; then
    missing "$1" "$2" "apt-get install $2 failed"
    return
  fi
  echo "$1: ok ($(command -v "$1"))"
}

case $PURPOSE in
  test)
    ensure_tool promtool prometheus
    ensure_tool chromium chromium
    ;;
  up)
    ensure_tool prometheus-postgres-exporter prometheus-postgres-exporter
    ;;
  bench)
    ensure_tool wrk wrk
    ;;
esac
