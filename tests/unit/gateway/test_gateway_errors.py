"""Every error is a problem document; remote errors follow one table."""

from __future__ import annotations

import pytest

from gateway.errors import REMOTE_ERROR_STATUS
from gateway.rpc_client import RemoteError, RpcTimeout, ServiceUnavailable

LOGIN = {"email": "a@b.fr", "password": "correct horse battery"}


def test_unknown_route_is_404_problem(client, assert_problem):
    body = assert_problem(client.get("/v1/does-not-exist"), 404)
    assert body["title"] == "Ressource introuvable"
    assert "Not Found" not in body["detail"]


def test_wrong_method_is_405_problem_with_allow(client, assert_problem):
    response = client.delete("/v1/topics")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/v1/posts/p1", "GET, PATCH, DELETE"),
    ("OPTIONS", "/v1/me", "GET, PATCH, DELETE"),
    ("GET", "/v1/auth/token", "POST"),
    ("PATCH", "/v1/notifications/preferences", "GET, PUT"),
])
def test_a_405_allows_every_method_of_its_path_not_only_its_first_route(client, assert_problem, method, path, allow):
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allow


def test_malformed_json_is_400(client, fake_rpc, assert_problem):
    response = client.post(
        "/v1/auth/token", content=b'{"email": "a@b.fr",', headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["title"] == "Requête invalide"
    assert fake_rpc.calls == []


def test_unknown_field_is_422(client, fake_rpc, assert_problem):
    body = {"invitation_code": "I", "email": "a@b.fr", "password": "x" * 12,
            "display_name": "Ali", "role": "admin"}
    problem = assert_problem(client.post("/v1/auth/register", json=body), 422)
    assert problem["title"] == "Données invalides"
    assert problem["errors"] == [
        {"loc": ["body", "role"], "msg": "Champ non autorisé.", "type": "extra_forbidden"}
    ]
    assert fake_rpc.calls == []


def test_missing_field_is_422(client, fake_rpc, assert_problem):
    problem = assert_problem(client.post("/v1/auth/token", json={"email": "a@b.fr"}), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "password"]]
    assert problem["errors"][0]["msg"] == "Champ obligatoire."
    assert fake_rpc.calls == []


def test_missing_body_is_422(client, assert_problem):
    assert_problem(client.post("/v1/auth/token"), 422)


def test_bad_email_is_422(client, assert_problem):
    body = {"invitation_code": "I", "email": "not-an-email", "password": "x" * 12, "display_name": "A"}
    problem = assert_problem(client.post("/v1/auth/register", json=body), 422)
    assert problem["errors"][0]["loc"] == ["body", "email"]


def test_body_over_limit_with_content_length_is_413(client, fake_rpc, assert_problem):
    payload = b'{"email": "' + b"a" * 70_000 + b'"}'
    response = client.post("/v1/auth/token", content=payload, headers={"Content-Type": "application/json"})
    body = assert_problem(response, 413)
    assert "65536" in body["detail"]
    assert fake_rpc.calls == []


def test_streamed_body_over_limit_is_413(client, fake_rpc, assert_problem):
    def chunks():
        yield b'{"email": "'
        for _ in range(5):
            yield b"a" * 20_000
        yield b'"}'

    response = client.post("/v1/auth/token", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413)
    assert fake_rpc.calls == []


def test_body_at_limit_is_not_413(client, assert_problem):
    prefix, suffix = b'{"email": "a@b.fr", "password": "', b'"}'
    payload = prefix + b"p" * (65536 - len(prefix) - len(suffix)) + suffix
    assert len(payload) == 65536
    response = client.post("/v1/auth/token", content=payload, headers={"Content-Type": "application/json"})
    assert_problem(response, 422)  # password too long, but the body was read


@pytest.mark.parametrize(
    "error", [RpcTimeout("identity", "login", 5.0), ServiceUnavailable("identity", "login", "no queue bound")]
)
def test_backend_not_answering_is_503(client, fake_rpc, error, assert_problem):
    fake_rpc.replies[("identity", "login")] = error
    body = assert_problem(client.post("/v1/auth/token", json=LOGIN), 503)
    assert body["title"] == "Service momentanément indisponible"


def test_table_is_the_documented_one():
    assert REMOTE_ERROR_STATUS == {
        "ValidationFailed": 422, "NotFound": 404, "Forbidden": 403,
        "Conflict": 409, "Unauthorized": 401, "TooManyRequests": 429, "BadRequest": 400,
        "TemporarilyUnavailable": 503, "DeadlineExceeded": 503,
    }


def test_a_service_temporarily_unavailable_is_503_with_its_retry_after(client, fake_rpc, assert_problem):
    detail = "Le service est momentanément indisponible. Réessayez dans quelques instants."
    fake_rpc.replies[("identity", "login")] = RemoteError("TemporarilyUnavailable", [detail, 5])
    response = client.post("/v1/auth/token", json=LOGIN)
    body = assert_problem(response, 503)
    assert body["title"] == "Service momentanément indisponible" and body["detail"] == detail
    assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    "exc_type, status, title",
    [("NotFound", 404, "Ressource introuvable"), ("Forbidden", 403, "Accès refusé"),
     ("Conflict", 409, "Conflit"), ("Unauthorized", 401, "Authentification requise")],
)
def test_remote_error_maps_to_status_with_service_detail(
    client, fake_rpc, auth, exc_type, status, title, assert_problem
):
    detail = f"Message de service pour {exc_type}."
    fake_rpc.replies[("identity", "get_user")] = RemoteError(exc_type, [detail], detail)
    body = assert_problem(client.get("/v1/users/u2", headers=auth()), status)
    assert body["title"] == title
    assert body["detail"] == detail


def test_remote_unauthorized_asks_for_bearer(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "get_me")] = RemoteError("Unauthorized", ["Compte suspendu."])
    response = client.get("/v1/me", headers=auth())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("retry_after, expected", [("30", "30"), (45, "45"), (None, "60")])
def test_remote_too_many_requests_has_retry_after(
    client, fake_rpc, retry_after, expected, assert_problem
):
    args = ["Trop de tentatives, réessayez plus tard."]
    if retry_after is not None:
        args.append(retry_after)
    fake_rpc.replies[("identity", "login")] = RemoteError("TooManyRequests", args)
    response = client.post("/v1/auth/token", json=LOGIN)
    body = assert_problem(response, 429)
    assert body["title"] == "Trop de requêtes"
    assert body["detail"] == args[0]
    assert response.headers["retry-after"] == expected


def test_remote_validation_failed_carries_errors(client, fake_rpc, assert_problem):
    errors = [{"loc": ["body", "password"], "msg": "Mot de passe trop faible."}]
    fake_rpc.replies[("identity", "register")] = RemoteError("ValidationFailed", [errors])
    body = {"invitation_code": "I", "email": "a@b.fr", "password": "x" * 12, "display_name": "Ali"}
    problem = assert_problem(client.post("/v1/auth/register", json=body), 422)
    assert problem["errors"] == errors


@pytest.mark.parametrize("exc_type", ["KeyError", "IntegrityError", "MethodNotFound"])
def test_unmapped_remote_error_is_generic_500(client, fake_rpc, auth, exc_type, assert_problem):
    secret = "psycopg: duplicate key users_email_key (jane@secret.fr)"
    fake_rpc.replies[("identity", "get_me")] = RemoteError(exc_type, [secret], secret)
    response = client.get("/v1/me", headers=auth())
    body = assert_problem(response, 500)
    assert secret not in response.text
    assert exc_type not in response.text
    assert body["title"] == "Erreur interne"


def test_unexpected_exception_is_500_without_leak(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("identity", "get_me")] = RuntimeError("boom at /srv/gateway/secret.py")
    response = client.get("/v1/me", headers={**auth(), "X-Request-ID": "req-500"})
    body = assert_problem(response, 500)
    assert "boom" not in response.text and "secret.py" not in response.text
    assert response.headers["x-request-id"] == "req-500"
    assert body["request_id"] == "req-500"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_openapi_document_describes_the_405_and_its_allow_header(client):
    document = client.get("/openapi.json").json()
    answer = document["components"]["responses"]["MethodNotAllowed"]
    assert answer["headers"]["Allow"] == {"$ref": "#/components/headers/Allow"}
    assert document["components"]["headers"]["Allow"]["schema"] == {"type": "string"}
    assert "405" in document["info"]["description"] and "`Allow`" in document["info"]["description"]
