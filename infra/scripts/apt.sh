# Installing Debian packages from the ensure-*.sh scripts (sourced, not run).
#   apt_install PACKAGE...  installs them without letting Debian start the
#                           daemons they ship: ensure-servers.sh starts the
#                           servers itself, the way that works with or without
#                           systemd (containers, CI).
#   apt_install_tool PACKAGE...  the same, for a package wanted for its command
#                           (promtool, an exporter that `make up` runs): its
#                           daemon is not started at boot either.
#   can_be_root             true for root or password-less sudo: the only cases
#                           where the scripts install anything.
# shellcheck shell=bash

have() { command -v "$1" >/dev/null 2>&1; }
can_be_root() { [[ $(id -u) -eq 0 ]] || { have sudo && sudo -n true 2>/dev/null; }; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# Debian's maintainer scripts start a package's daemon through invoke-rc.d,
# which asks policy-rc.d first: exit code 101 means "do not start". Under
# systemd, deb-systemd-invoke honours the same file. (Only the tests move
# POLICY_RC_D: they must not touch the machine's own.)
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}

apt_install() {  # apt_install PACKAGE...
  local own_policy=0 status=0
  if [[ ! -e $POLICY_RC_D ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > '$POLICY_RC_D' && chmod 755 '$POLICY_RC_D'"
    own_policy=1
  fi
  # The package lists may be missing on a fresh machine (or a container).
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    as_root apt-get update -qq || status=$?
  fi
  if ((status == 0)); then
    # sudo resets the environment: pass DEBIAN_FRONTEND through env.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
      || status=$?
  fi
  ((own_policy)) && as_root rm -f "$POLICY_RC_D"
  return "$status"
}

apt_install_tool() {  # apt_install_tool PACKAGE...  (a package's daemon has the package's name)
  local pkg pid before status=0
  before=$(for pkg in "$@"; do pgrep -x "${pkg:0:15}"; done 2>/dev/null || true)
  apt_install "$@" || status=$?
  for pkg in "$@"; do
    # systemd enables a package's unit even when the policy kept it from
    # starting: it would start at the next boot (and hold the tool's port).
    if have systemctl && systemctl is-enabled --quiet "$pkg" 2>/dev/null; then
      as_root systemctl disable --now "$pkg" >/dev/null 2>&1 || true
    fi
    # Belt and braces: should a policy already in place have let the package
    # start its daemon anyway, stop what this install started (and only that).
    for pid in $(pgrep -x "${pkg:0:15}" 2>/dev/null || true); do
      if ! grep -qx "$pid" <<<"$before"; then
        echo "$pkg: the package started its daemon (pid $pid); stopping it" >&2
        as_root kill "$pid" || true
      fi
    done
  done
  return "$status"
}
