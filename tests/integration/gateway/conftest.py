"""A throwaway RabbitMQ vhost with real nameko services running in it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from stack.testing import die_with_parent

MANAGEMENT_URL = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672")
AMQP_HOST = os.environ.get("RABBITMQ_AMQP_HOST", "127.0.0.1:5672")
CREDENTIALS = ("guest", "guest")
HERE = Path(__file__).parent
SERVICE_CLASSES = ["nameko_echo_service:EchoService", "nameko_echo_service:FakeIdentity"]
SERVICE_QUEUES = ["rpc-echo", "rpc-identity"]


@pytest.fixture(scope="session")
def management():
    with httpx.Client(base_url=MANAGEMENT_URL, auth=CREDENTIALS, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def vhost(management):
    name = f"test-gateway-{uuid.uuid4().hex[:10]}"
    path = quote(name, safe="")
    management.put(f"/api/vhosts/{path}").raise_for_status()
    management.put(
        f"/api/permissions/{path}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    # The exchanges the deploy step declares: the gateway only checks them.
    for exchange in ("nameko-rpc", "identity.events", "notifications.events"):
        management.put(f"/api/exchanges/{path}/{quote(exchange, safe='')}",
                       json={"type": "topic", "durable": True}).raise_for_status()
    yield name
    management.delete(f"/api/vhosts/{path}")


@pytest.fixture(scope="session")
def amqp_uri(vhost) -> str:
    return f"amqp://guest:guest@{AMQP_HOST}/{quote(vhost, safe='')}"


def _wait_for_consumers(management, vhost, queues, process, log_path, timeout=60.0):
    deadline = time.monotonic() + timeout
    path = quote(vhost, safe="")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nameko exited early:\n{log_path.read_text()}")
        ready = 0
        for queue in queues:
            response = management.get(f"/api/queues/{path}/{queue}")
            if response.status_code == 200 and response.json().get("consumers", 0) > 0:
                ready += 1
        if ready == len(queues):
            return
        time.sleep(0.3)
    pytest.fail(f"nameko services did not start:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def nameko_services(management, vhost, amqp_uri, tmp_path_factory):
    """``nameko run`` in a subprocess: eventlet stays out of pytest."""
    log_path = tmp_path_factory.mktemp("nameko") / "nameko.log"
    nameko = Path(sys.executable).parent / "nameko"
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(nameko), "run", "--broker", amqp_uri, *SERVICE_CLASSES],
            cwd=HERE,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    try:
        _wait_for_consumers(management, vhost, SERVICE_QUEUES, process, log_path)
        yield amqp_uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
