"""The whole platform as `make up` runs it: every service and the gateway,
as real processes on this run's vhost and databases."""
import subprocess
import sys
import time

from pathlib import Path

import httpx
import pytest

from stack.services import SERVICES
from shared.settings import REPO_ROOT
from stack.testing import die_with_parent, free_port, service_env


@pytest.fixture(scope="module")
def services(start_service):
    """Every service, each serving its Prometheus metrics on a free port."""
    started = {}
    for name in SERVICES:
        port = free_port()
        started[name] = start_service(name, METRICS_PORT=port)
        started[name].metrics_url = f"http://127.0.0.1:{port}/metrics"
    return started


@pytest.fixture(scope="module")
def gateway(platform, services, tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    env = service_env(platform, "gateway")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
    base = f"http://127.0.0.1:{port}"
    gateway_logs[base] = log_path
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"gateway did not become ready:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(15)


# Where each running gateway writes its log, by base URL.
gateway_logs: dict[str, Path] = {}


@pytest.fixture(scope="module")
def gateway_log(gateway):
    """Read the gateway's log so far."""
    return lambda: gateway_logs[gateway].read_text(errors="replace")


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway, timeout=10) as client:
        yield client
