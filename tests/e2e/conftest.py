"""The whole platform as `make up` runs it: every service and the gateway,
as real processes on this run's vhost and databases."""
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from stack.services import SERVICES
from shared.settings import REPO_ROOT
from stack.testing import die_with_parent, free_port, service_env, wait_for, wait_until_answering
from tests.contract.openapi_responses import ResponseContract


@pytest.fixture(scope="module")
def services(start_service):
    """Every service, each serving its Prometheus metrics on a free port."""
    started = {}
    for name in SERVICES:
        port = free_port()
        started[name] = start_service(name, METRICS_PORT=port)
        started[name].metrics_url = f"http://127.0.0.1:{port}/metrics"
    return started


E2E_RATE_LIMITS = {"RATE_LIMIT_MEMBER_REQUESTS": "100000", "RATE_LIMIT_MEMBER_WRITES": "100000",
                   "RATE_LIMIT_AUTH_REQUESTS": "100000"}


@pytest.fixture(scope="module")
def gateway_env(services) -> dict:
    """More environment for the gateway; a module that starts only some
    services overrides it (e.g. GATEWAY_SERVICES)."""
    return {}


@pytest.fixture(scope="module")
def gateway(platform, services, gateway_env, tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    env = service_env(platform, "gateway")
    # Journeys make more requests a minute than a person would (the admin
    # invites every member): the limits themselves are proven in
    # tests/unit/gateway/test_gateway_rate_limits.py and
    # tests/integration/gateway/test_rate_limits_shared.py.
    env.update(E2E_RATE_LIMITS)
    env.update(gateway_env)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
    base = f"http://127.0.0.1:{port}"
    gateway_logs[base] = log_path
    wait_until_answering(f"{base}/readyz", proc, log_path, "gateway did not become ready")
    yield base
    proc.terminate()
    proc.wait(15)


# Where each running gateway writes its log, by base URL.
gateway_logs: dict[str, Path] = {}


@pytest.fixture(scope="module")
def gateway_log(gateway):
    """Read the gateway's log so far."""
    return lambda: gateway_logs[gateway].read_text(errors="replace")


@pytest.fixture(scope="module")
def api_contract(gateway):
    """The OpenAPI document this gateway serves, to check every answer against."""
    return ResponseContract(httpx.get(f"{gateway}/openapi.json", timeout=60).json())


@pytest.fixture
def http(gateway, api_contract):
    """A client of the gateway; every answer it gets must match the OpenAPI document."""
    with httpx.Client(base_url=gateway, timeout=10, event_hooks={"response": [api_contract.check]}) as client:
        yield client


MEMBER_PASSWORD = "une phrase de passe assez longue"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def join(http, platform, services):
    """`join(role, name, agency)`: a new member, invited by the admin and
    logged in: (user, headers with their access token, e-mail)."""
    admin = http.post(
        "/v1/auth/token", json={"email": platform.platform_admin_email, "password": platform.platform_admin_password}
    ).json()["access_token"]

    def make(role: str, name: str, agency: str | None = "HDF-LILLE") -> tuple[dict, dict, str]:
        invitation = {"role": role, **({"agency_code": agency} if agency else {"organization": "Boulangerie Martin"})}
        code = http.post("/v1/invitations", json=invitation, headers=bearer(admin)).json()["code"]
        email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
        user = http.post("/v1/auth/register", json={
            "invitation_code": code, "email": email, "password": MEMBER_PASSWORD, "display_name": name})
        assert user.status_code == 201, user.text
        token = http.post("/v1/auth/token", json={"email": email, "password": MEMBER_PASSWORD}).json()["access_token"]
        if "moderation" in services:  # others see the typed name once moderation found it clean (issue 13)
            wait_for(lambda: http.get("/v1/me", headers=bearer(token)).json()["profile_moderation"] is None,
                     timeout=10, message="the registration's display name to be screened")
        return user.json(), bearer(token), email

    return make
