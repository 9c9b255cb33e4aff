#!/usr/bin/env bash
# Make sure the command-line tools the test suite needs are installed:
#   promtool (Debian package `prometheus`): checks the Prometheus configuration,
#   the alert rules (and runs their unit tests) and every dashboard query;
#   chromium (Debian package `chromium`): the browser of the web app's tests.
#
#   - already installed: one "ok" line, nothing else;
#   - missing, and we are root (or have password-less sudo): apt-get install it,
#     without letting the package start a Prometheus server (see below);
#   - missing and not installable here: say what to install and exit 0, so the
#     tests that need it are skipped with that message. Under CI=true a missing
#     tool is an error (exit 1): CI never skips them.
# Idempotent; run by `make test`.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

can_be_root() { [[ $(id -u) -eq 0 ]] || { have sudo && sudo -n true 2>/dev/null; }; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# Debian's maintainer scripts start a package's daemon through invoke-rc.d,
# which asks /usr/sbin/policy-rc.d first: exit code 101 means "do not start".
# We only want the promtool binary, not a Prometheus server (nor, through
# Recommends, a node exporter) running on the developer's machine, so install
# with such a policy in place and remove it afterwards if it was ours. Under
# systemd, deb-systemd-invoke honours the same policy file.
POLICY=/usr/sbin/policy-rc.d
apt_install_quietly() {
  local own_policy=0
  if [[ ! -e $POLICY ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $POLICY && chmod 755 $POLICY"
    own_policy=1
  fi
  local status=0 before
  before=$(pgrep -x prometheus 2>/dev/null || true)
  # The package lists may be missing on a fresh machine (or a container).
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    as_root apt-get update -qq || status=$?
  fi
  if ((status == 0)); then
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
      || status=$?
  fi
  ((own_policy)) && as_root rm -f "$POLICY"
  # Belt and braces: should a policy already in place have let the package
  # start its server anyway, stop what this install started (and only that).
  local pid
  for pid in $(pgrep -x prometheus 2>/dev/null || true); do
    if ! grep -qx "$pid" <<<"$before"; then
      echo "promtool: the package started a Prometheus server (pid $pid); stopping it" >&2
      as_root kill "$pid" || true
    fi
  done
  return "$status"
}

missing() {  # missing TOOL PACKAGE WHY
  if [[ ${CI:-} == true ]]; then
    echo "$1: not installed and could not be installed ($3). CI needs it: apt-get install $2" >&2
    exit 1
  fi
  echo "$1: not installed ($3); the tests that need it are skipped. Install it with: sudo apt-get install --no-install-recommends $2" >&2
}

ensure_tool() {  # ensure_tool TOOL PACKAGE
  if have "$1"; then
    echo "$1: ok ($(command -v "$1"))"
    return
  fi
  if ! have apt-get; then missing "$1" "$2" "no apt-get on this machine"; return; fi
  if ! can_be_root; then missing "$1" "$2" "installing needs root or password-less sudo"; return; fi
  echo "$1: installing the Debian package $2 (no server is started)..."
  if ! apt_install_quietly "$2" || ! have "$1"; then
    missing "$1" "$2" "apt-get install $2 failed"
    return
  fi
  echo "$1: ok ($(command -v "$1"))"
}

ensure_tool promtool prometheus
#   chromium (Debian package `chromium`): the browser tests/web drives (Playwright
#   cannot download its own browser here); CHROMIUM_PATH points elsewhere if needed.
ensure_tool chromium chromium
