"""Gateway unit fixtures: a key pair, token factory, fake RPC client, app."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

with warnings.catch_warnings():
    # Starlette 1.x warns that its TestClient will move to httpx2.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings

ISSUER = "platform-identity"
AUDIENCE = "platform-api"


@dataclass
class RecordedCall:
    service: str
    method: str
    args: tuple
    context: dict
    timeout: float | None


@dataclass
class FakeRpcClient:
    """Stands for RpcClient: answers from ``replies`` keyed by (service, method).

    A reply that is an exception instance is raised; a callable is called
    with the args.
    """

    replies: dict[tuple[str, str], Any] = field(default_factory=dict)
    calls: list[RecordedCall] = field(default_factory=list)
    is_connected: bool = True

    async def call(self, service, method, args=(), kwargs=None, *, context=None, timeout=None):
        self.calls.append(RecordedCall(service, method, tuple(args), dict(context or {}), timeout))
        reply = self.replies.get((service, method))
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            return reply(*args)
        return reply

    def last(self) -> RecordedCall:
        assert self.calls, "no RPC call was made"
        return self.calls[-1]


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def public_key_path(tmp_path, signing_key):
    path = tmp_path / "jwt_ed25519.pub.pem"
    path.write_bytes(
        signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.fixture
def make_token(signing_key) -> Callable[..., str]:
    def make(
        role: str = "job_seeker",
        agency: str | None = "75001",
        sub: str | None = None,
        key: Any = None,
        algorithm: str = "EdDSA",
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "sub": str(uuid.uuid4()) if sub is None else sub,
            "role": role,
            "agency": agency,
            "iat": now,
            "exp": now + 900,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        payload.update(claims)
        for name in drop:
            payload.pop(name)
        return jwt.encode(payload, key or signing_key, algorithm=algorithm)

    return make


@pytest.fixture
def settings(public_key_path) -> GatewaySettings:
    return GatewaySettings(
        jwt_public_key_path=str(public_key_path),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        gateway_services=["identity", "posts"],
        cors_origins=["https://app.example.fr"],
    )


@pytest.fixture
def fake_rpc() -> FakeRpcClient:
    return FakeRpcClient()


@pytest.fixture
def client(settings, fake_rpc):
    app = create_app(settings, rpc_client=fake_rpc)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def auth(make_token) -> Callable[..., dict[str, str]]:
    def headers(role: str = "job_seeker", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(role, **kwargs)}"}

    return headers


def _assert_problem(response, status: int) -> dict:
    """The response is a well-formed problem document with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert response.headers.get("x-request-id")
    return body


@pytest.fixture
def assert_problem():
    return _assert_problem


@pytest.fixture
def test_client_class():
    return TestClient
