"""Logins that strangers cannot block, over HTTP: identity and the gateway as
real processes. Clients are told apart by X-Forwarded-For, which the gateway
believes from 127.0.0.1 (FORWARDED_ALLOW_IPS), as from the web app."""
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from services.identity import domain
from stack.testing import db_connect
from tests.e2e.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.e2e

WRONG = "pas le bon mot de passe du tout"


@pytest.fixture(scope="module")
def services(start_service):
    return {"identity": start_service("identity")}


@pytest.fixture(scope="module")
def gateway_env(services) -> dict:
    return {"GATEWAY_SERVICES": "identity"}


def login(http, email, password, address, device=None):
    body = {"email": email, "password": password, **({"device_token": device} if device else {})}
    return http.post("/v1/auth/token", json=body, headers={"X-Forwarded-For": address})


def test_thirty_parallel_wrong_passwords_get_no_more_than_the_limit_evaluated(http, join, gateway, api_contract,
                                                                               platform):
    _, _, email = join("job_seeker", "Camille")
    limit = domain.MAX_FAILURES_PER_ACCOUNT
    for i in range(limit - 1):
        assert login(http, email, WRONG, f"203.0.113.{i + 1}").status_code == 401

    def one(i: int) -> int:
        with httpx.Client(base_url=gateway, timeout=30, event_hooks={"response": [api_contract.check]}) as client:
            return login(client, email, WRONG, f"198.51.100.{i + 1}").status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(one, range(30)))
    # One slot was left: exactly one more attempt was evaluated, every other one refused unseen.
    assert statuses.count(401) == 1, statuses
    assert statuses.count(429) == 29, statuses
    with db_connect(platform, "identity") as conn:
        (counted,) = conn.execute("SELECT count(*) FROM login_failures WHERE key = %s", (f"email:{email}",)).fetchone()
    assert counted == limit


def test_an_attacker_locks_unknown_devices_out_but_the_owners_known_device_signs_in(http, join):
    _, _, email = join("job_seeker", "Camille")
    owner = login(http, email, MEMBER_PASSWORD, "192.0.2.10")
    assert owner.status_code == 200
    device = owner.json()["device_token"]

    for i in range(domain.MAX_FAILURES_PER_ACCOUNT + 2):  # from many addresses
        assert login(http, email, WRONG, f"203.0.113.{100 + i}").status_code in (401, 429)
    # Every unknown device is locked out of the account, the right password too.
    locked = login(http, email, MEMBER_PASSWORD, "192.0.2.77")
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # Someone else's device token changes nothing.
    _, _, other = join("job_seeker", "Mallory")
    stranger_device = login(http, other, MEMBER_PASSWORD, "203.0.113.200").json()["device_token"]
    assert login(http, email, MEMBER_PASSWORD, "203.0.113.200", stranger_device).status_code == 429

    # The owner's device, from the same address as before or another, still signs in.
    again = login(http, email, MEMBER_PASSWORD, "192.0.2.11", device)
    assert again.status_code == 200, again.text
    assert again.json()["access_token"] and again.json()["device_token"] != device
    me = http.get("/v1/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"})
    assert me.json()["email"] == email


def test_a_known_device_has_its_own_small_limit(http, join):
    _, _, email = join("job_seeker", "Camille")
    device = login(http, email, MEMBER_PASSWORD, "192.0.2.20").json()["device_token"]
    for _ in range(domain.MAX_FAILURES_PER_DEVICE):
        assert login(http, email, WRONG, "192.0.2.20", device).status_code == 401
    assert login(http, email, MEMBER_PASSWORD, "192.0.2.20", device).status_code == 429
    # The device's failures are its own: another of the owner's devices is not locked.
    assert login(http, email, MEMBER_PASSWORD, "192.0.2.21").status_code == 200


def test_a_malformed_device_token_is_422_naming_the_field(http, join):
    _, _, email = join("job_seeker", "Camille")
    response = login(http, email, MEMBER_PASSWORD, "192.0.2.30", "x" * 500)
    assert response.status_code == 422
    assert "device_token" in response.text
