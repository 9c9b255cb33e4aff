"""HTTP -> gateway -> AMQP -> nameko and back, with the real RPC client."""

from __future__ import annotations

import time
import warnings

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.caller_token import verifier_for
from shared.keys import write_key_pair

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture
def key(tmp_path):
    private = Ed25519PrivateKey.generate()
    path = tmp_path / "jwt.pub.pem"
    path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    # The gateway's caller-context pair beside it (the gateway signs with the private one).
    write_key_pair(tmp_path, "caller_ed25519")
    return private, path


def _gateway(amqp_uri, key_path, services):
    settings = GatewaySettings(amqp_uri=amqp_uri, jwt_public_key_path=str(key_path),
                               caller_private_key_path=str(key_path.parent / "caller_ed25519.pem"),
                               gateway_services=services, rpc_timeout_seconds=3)
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_readyz_and_an_authenticated_call(nameko_services, key):
    private, path = key
    now = int(time.time())
    token = jwt.encode({"sub": "u-7", "role": "company", "agency": None, "iat": now, "exp": now + 60,
                        "iss": "platform-identity", "aud": "platform-api"}, private, algorithm="EdDSA")
    with _gateway(nameko_services, path, ["echo", "identity"]) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}",
                                                 "X-Request-ID": "req-e2e"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "u-7"
    assert float(body["context"].pop("deadline")) > time.time()  # the gateway's deadline rides along
    # The caller travels only signed, for the service called (identity: its audience).
    context = dict(body["context"])
    token = context.pop("caller_token")
    assert context == {"correlation_id": "req-e2e"}
    caller_public = path.parent / "caller_ed25519.pub.pem"
    assert verifier_for("identity", caller_public).verify(token) == {"caller_id": "u-7", "caller_role": "company"}
    assert body["parent_call_id"].startswith("gateway.")


def test_readyz_names_a_service_that_is_not_running(nameko_services, key):
    _, path = key
    with _gateway(nameko_services, path, ["echo", "posts"]) as client:
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["checks"] == {"broker": "ok", "echo": "ok", "posts": "ServiceUnavailable"}
    assert elapsed < 1.5


def test_route_to_a_missing_service_is_503_at_once(nameko_services, key):
    _, path = key
    with _gateway(nameko_services, path, ["echo"]) as client:
        started = time.monotonic()
        response = client.get("/v1/topics")  # no posts service in this vhost
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["title"] == "Service momentanément indisponible"
    assert elapsed < 1.5
