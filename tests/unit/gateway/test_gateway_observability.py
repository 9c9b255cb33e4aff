"""Request ids, logs, metrics, health, CORS, security headers, OpenAPI."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from gateway.logs import json_handler
from gateway.rpc_client import RemoteError, RpcTimeout


def test_request_id_is_echoed_and_sent_to_service(client, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    response = client.get("/v1/agencies", headers={"X-Request-ID": "req-123"})
    assert response.headers["x-request-id"] == "req-123"
    assert fake_rpc.last().context["correlation_id"] == "req-123"


def test_request_id_is_generated_when_absent(client, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    response = client.get("/v1/agencies")
    generated = response.headers["x-request-id"]
    assert uuid.UUID(generated).version == 4
    assert fake_rpc.last().context["correlation_id"] == generated


@pytest.mark.parametrize("given", ["a" * 200, "evil\u00e9value", "with space"])
def test_unsafe_request_id_is_replaced(client, fake_rpc, given):
    fake_rpc.replies[("identity", "list_agencies")] = []
    response = client.get("/v1/agencies", headers={"X-Request-ID": given.encode("utf-8")})
    assert response.headers["x-request-id"] != given
    assert uuid.UUID(response.headers["x-request-id"])


def test_each_request_gets_its_own_id(client, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    first = client.get("/v1/agencies").headers["x-request-id"]
    second = client.get("/v1/agencies").headers["x-request-id"]
    assert first != second
    assert [c.context["correlation_id"] for c in fake_rpc.calls] == [first, second]


def test_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_cors_preflight_for_configured_origin(client):
    response = client.options(
        "/v1/posts",
        headers={"Origin": "https://app.example.fr", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Authorization, Content-Type"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.fr"


def test_cors_refuses_other_origins(client):
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_healthz_does_no_io(client, fake_rpc):
    fake_rpc.is_connected = False
    assert client.get("/healthz").json() == {"status": "ok"}
    assert fake_rpc.calls == []


def test_readyz_ok_when_every_service_answers(client, fake_rpc):
    fake_rpc.replies[("identity", "health")] = {"status": "ok"}
    fake_rpc.replies[("posts", "health")] = {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"broker": "ok", "identity": "ok", "posts": "ok"}
    assert sorted(c.service for c in fake_rpc.calls) == ["identity", "posts"]


def test_readyz_lists_failed_services(client, fake_rpc, assert_problem):
    fake_rpc.replies[("identity", "health")] = {"status": "ok"}
    fake_rpc.replies[("posts", "health")] = RpcTimeout("posts", "health", 2.0)
    body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"]["posts"] == "RpcTimeout"
    assert body["checks"]["identity"] == "ok"
    assert "posts" in body["detail"] and "identity" not in body["detail"]


def test_readyz_fails_when_a_service_reports_an_error(client, fake_rpc, assert_problem):
    fake_rpc.replies[("identity", "health")] = RemoteError("OperationalError", ["db down"])
    fake_rpc.replies[("posts", "health")] = {"status": "ok"}
    body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"]["identity"] == "OperationalError"


def test_readyz_fails_without_broker(client, fake_rpc, assert_problem):
    fake_rpc.is_connected = False
    body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"]["broker"] == "unreachable"
    assert fake_rpc.calls == []


def _sample(metrics_text: str, name: str, labels: dict[str, str]) -> float | None:
    """Value of one sample in Prometheus text format, labels in any order."""
    for line in metrics_text.splitlines():
        if not line.startswith(name + "{"):
            continue
        raw_labels, value = line[len(name) + 1:].rsplit("} ", 1)
        parsed = dict(part.split("=", 1) for part in raw_labels.split(","))
        if {k: v.strip('"') for k, v in parsed.items()} == labels:
            return float(value)
    return None


def test_metrics_use_route_templates_and_count_rpc_outcomes(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "get_user")] = {"id": "x"}
    for user_id in ("u1", "u2", "u3"):
        assert client.get(f"/v1/users/{user_id}", headers=auth()).status_code == 200
    fake_rpc.replies[("posts", "get_post")] = RpcTimeout("posts", "get_post", 5.0)
    assert client.get("/v1/posts/p1", headers=auth()).status_code == 503
    fake_rpc.replies[("posts", "get_post")] = RemoteError("NotFound", ["Introuvable."])
    assert client.get("/v1/posts/p2", headers=auth()).status_code == 404
    client.get("/no/such/route")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = {"method": "GET", "route": "/v1/users/{id}"}
    assert _sample(text, "http_requests_total", {**route, "status": "200"}) == 3
    assert _sample(text, "http_request_duration_seconds_count", route) == 3
    assert "/v1/users/u1" not in text
    assert _sample(text, "http_requests_total",
                   {"method": "GET", "route": "unmatched", "status": "404"}) == 1
    calls = "gateway_rpc_calls_total"
    assert _sample(text, calls, {"service": "identity", "method": "get_user", "outcome": "ok"}) == 3
    assert _sample(text, calls, {"service": "posts", "method": "get_post", "outcome": "timeout"}) == 1
    assert _sample(text, calls, {"service": "posts", "method": "get_post", "outcome": "remote_error"}) == 1
    assert _sample(text, "gateway_rpc_timeouts_total", {"service": "posts", "method": "get_post"}) == 1


def test_access_log_is_json_with_context_and_no_secrets(client, fake_rpc, make_token):
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    token = make_token()
    password = "tres-secret-mot-de-passe"
    fake_rpc.replies[("identity", "login")] = {"access_token": "at-secret", "refresh_token": "rt-secret",
                                               "token_type": "bearer", "expires_in": 900}
    try:
        client.post("/v1/auth/token", json={"email": "a@b.fr", "password": password},
                    headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-log"})
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("logger") == "gateway.access"]
    assert len(access) == 1
    entry = access[0]
    assert entry["correlation_id"] == "req-log"
    assert entry["service"] == "gateway"
    assert entry["route"] == "/v1/auth/token"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    output = stream.getvalue()
    for secret in (token, password, "at-secret", "rt-secret"):
        assert secret not in output


def test_openapi_document(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = document["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert me["responses"]["401"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    register = document["paths"]["/v1/auth/register"]["post"]
    assert "security" not in register
    assert "application/problem+json" in register["responses"]["422"]["content"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_unreachable_broker_gives_503_not_a_hang(public_key_path, test_client_class, assert_problem):
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    settings = GatewaySettings(amqp_uri="amqp://guest:guest@127.0.0.1:1/", rpc_timeout_seconds=0.5,
                        jwt_public_key_path=str(public_key_path))
    with test_client_class(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        assert assert_problem(client.get("/readyz"), 503)["checks"]["broker"] == "unreachable"
        assert_problem(client.get("/v1/agencies"), 503)


def test_fast_successful_reads_log_at_debug_writes_at_info(client, fake_rpc, make_token):
    stream = io.StringIO()
    handler = json_handler(stream)
    access = logging.getLogger("gateway.access")
    old_level = access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    fake_rpc.replies[("identity", "list_agencies")] = []
    fake_rpc.replies[("posts", "get_post")] = RemoteError("NotFound", ["Introuvable."])
    try:
        assert client.get("/v1/agencies").status_code == 200
        assert client.get("/v1/posts/p1", headers={"Authorization": f"Bearer {make_token()}"}).status_code == 404
        client.post("/v1/auth/token", json={"email": "a@b.fr"})
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["method"], line["route"], line["level"]) for line in lines] == [
        ("GET", "/v1/posts/{id}", "INFO"), ("POST", "/v1/auth/token", "INFO")]
