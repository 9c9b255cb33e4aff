"""A service's metrics server listens on 127.0.0.1 unless METRICS_HOST says
otherwise (prometheus_client's own default is every interface)."""
import os
import subprocess
import sys
import time

import pytest

from shared.settings import REPO_ROOT
from stack.testing import free_port

SERVE = ("from shared.settings import get_settings; from shared.observability import metrics; "
         "s = get_settings(); metrics.serve(s.metrics_port, s.metrics_host); import time; time.sleep(30)")


def listening_address(port: int, timeout: float = 10) -> str:
    """The local address a LISTEN socket on `port` is bound to (/proc/net/tcp, hex)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":
                return address
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.parametrize(("host", "expected"), [(None, "0100007F"), ("0.0.0.0", "00000000")])
def test_metrics_listen_on_loopback_unless_configured(host, expected):
    port = free_port()
    env = {**os.environ, "METRICS_PORT": str(port), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("METRICS_HOST", None)
    if host:
        env["METRICS_HOST"] = host
    proc = subprocess.Popen([sys.executable, "-c", SERVE], cwd=REPO_ROOT, env=env)
    try:
        assert listening_address(port) == expected
    finally:
        proc.kill()
        proc.wait(10)
