"""Token verification: only EdDSA tokens from our issuer, for our audience."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ME = {"id": "u1", "email": "a@b.fr", "display_name": "A", "role": "job_seeker",
      "agency_code": "75001", "bio": None, "topics": [], "created_at": "2026-01-01T00:00:00Z"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides):
    now = int(time.time())
    claims = {"sub": "u1", "role": "admin", "agency": None, "iat": now, "exp": now + 900,
              "iss": "platform-identity", "aud": "platform-api"}
    claims.update(overrides)
    return claims


def _unsigned(header: dict, claims: dict) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _get_me(client, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/v1/me", headers=headers)


def _assert_401(response, assert_problem):
    body = assert_problem(response, 401)
    assert body["title"] == "Authentification requise"
    assert response.headers["www-authenticate"] == "Bearer"
    return body


def test_valid_token_reaches_service_with_caller_identity(client, fake_rpc, make_token):
    fake_rpc.replies[("identity", "get_me")] = ME
    response = _get_me(client, make_token("advisor", agency="13001", sub="user-42"))
    assert response.status_code == 200
    assert response.json() == ME
    context = fake_rpc.last().context
    assert context["caller_id"] == "user-42"
    assert context["caller_role"] == "advisor"
    assert context["caller_agency"] == "13001"


def test_admin_without_agency_sends_no_agency_header(client, fake_rpc, make_token):
    fake_rpc.replies[("identity", "get_me")] = ME
    assert _get_me(client, make_token("admin", agency=None)).status_code == 200
    context = fake_rpc.last().context
    assert context["caller_role"] == "admin"
    assert "caller_agency" not in context


def test_missing_token(client, fake_rpc, assert_problem):
    _assert_401(_get_me(client, None), assert_problem)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "token"])
def test_malformed_authorization_header(client, fake_rpc, header, assert_problem):
    _assert_401(client.get("/v1/me", headers={"Authorization": header}), assert_problem)
    assert fake_rpc.calls == []


def test_expired_token(client, fake_rpc, make_token, assert_problem):
    now = int(time.time())
    token = make_token(iat=now - 7200, exp=now - 3600)
    body = _assert_401(_get_me(client, token), assert_problem)
    assert "expiré" in body["detail"]
    assert fake_rpc.calls == []


def test_alg_none_token(client, fake_rpc, assert_problem):
    token = _unsigned({"alg": "none", "typ": "JWT"}, _claims()) + "."
    _assert_401(_get_me(client, token), assert_problem)
    assert fake_rpc.calls == []


def test_hs256_signed_with_the_public_key_bytes(client, fake_rpc, public_key_path, assert_problem):
    # The classic key-confusion attack: HMAC keyed with the (public) PEM.
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT"}, _claims())
    mac = hmac.new(public_key_path.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
    _assert_401(_get_me(client, signing_input + "." + _b64(mac)), assert_problem)
    assert fake_rpc.calls == []


def test_token_signed_by_another_key(client, fake_rpc, make_token, assert_problem):
    _assert_401(_get_me(client, make_token(key=Ed25519PrivateKey.generate())), assert_problem)
    assert fake_rpc.calls == []


def test_tampered_claims(client, fake_rpc, make_token, assert_problem):
    header, _, signature = make_token("job_seeker").split(".")
    forged = header + "." + _b64(json.dumps(_claims(role="admin")).encode()) + "." + signature
    _assert_401(_get_me(client, forged), assert_problem)
    assert fake_rpc.calls == []


@pytest.mark.parametrize(
    "claims",
    [{"aud": "another-api"}, {"iss": "someone-else"}, {"role": "superuser"}, {"sub": ""},
     {"iat": int(time.time()) + 3600}],
    ids=["wrong-audience", "wrong-issuer", "unknown-role", "empty-subject", "issued-in-future"],
)
def test_wrong_claims(client, fake_rpc, make_token, claims, assert_problem):
    _assert_401(_get_me(client, make_token(**claims)), assert_problem)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "aud", "iss"])
def test_required_claims(client, fake_rpc, make_token, claim, assert_problem):
    _assert_401(_get_me(client, make_token(drop=(claim,))), assert_problem)
    assert fake_rpc.calls == []


def test_missing_public_key_is_503_not_401(
    tmp_path, fake_rpc, make_token, assert_problem, test_client_class
):
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    app = create_app(GatewaySettings(jwt_public_key_path=str(tmp_path / "absent.pem")), rpc_client=fake_rpc)
    with test_client_class(app) as client:
        assert_problem(_get_me(client, make_token()), 503)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("role", ["job_seeker", "advisor", "company"])
def test_only_admin_creates_agencies(client, fake_rpc, auth, role, assert_problem):
    body = assert_problem(
        client.post("/v1/agencies", json={"code": "X1", "name": "X", "region": "R"}, headers=auth(role)),
        403,
    )
    assert body["title"] == "Accès refusé"
    assert fake_rpc.calls == []


def test_job_seeker_cannot_invite(client, fake_rpc, auth, assert_problem):
    response = client.post("/v1/invitations", json={"role": "job_seeker"}, headers=auth("job_seeker"))
    assert_problem(response, 403)
    assert fake_rpc.calls == []


@pytest.mark.parametrize(
    "body",
    [{"role": "advisor"}, {"role": "admin"}, {"role": "job_seeker", "agency_code": "13001"}],
    ids=["advisor-invites-advisor", "advisor-invites-admin", "other-agency"],
)
def test_advisor_invites_only_job_seekers_of_own_agency(client, fake_rpc, auth, body, assert_problem):
    response = client.post("/v1/invitations", json=body, headers=auth("advisor", agency="75001"))
    assert_problem(response, 403)
    assert fake_rpc.calls == []


def test_advisor_invites_job_seeker(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "create_invitation")] = {
        "code": "INV1", "role": "job_seeker", "agency_code": "75001",
        "expires_at": "2026-12-13T00:00:00Z", "max_uses": 1,
    }
    response = client.post(
        "/v1/invitations", json={"role": "job_seeker", "agency_code": "75001"}, headers=auth("advisor")
    )
    assert response.status_code == 201
    call = fake_rpc.last()
    assert (call.service, call.method) == ("identity", "create_invitation")
    assert call.args == ({"role": "job_seeker", "agency_code": "75001", "max_uses": 1, "expires_in_days": 14},)


def test_admin_invites_any_role(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "create_invitation")] = {"code": "INV2"}
    response = client.post(
        "/v1/invitations",
        json={"role": "company", "organization": "Acme", "email": "rh@acme.fr", "max_uses": 3},
        headers=auth("admin", agency=None),
    )
    assert response.status_code == 201
    assert fake_rpc.last().args[0]["organization"] == "Acme"


def test_job_seeker_cannot_publish_job_info(client, fake_rpc, auth, assert_problem):
    post = {"kind": "job_info", "title": "Cariste", "body": "B", "topics": []}
    assert_problem(client.post("/v1/posts", json=post, headers=auth("job_seeker")), 403)
    assert fake_rpc.calls == []


def test_a_token_is_verified_once_then_remembered(public_key_path, make_token, monkeypatch):
    # Verifying per request was the largest single cost of a read in the gateway (issue 17).
    import gateway.auth as auth
    from tests.unit.gateway.conftest import AUDIENCE, ISSUER

    verifier = auth.TokenVerifier(str(public_key_path), issuer=ISSUER, audience=AUDIENCE)
    token = make_token(sub="u9")
    first = verifier.verify(token)
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: pytest.fail("verified twice"))
    assert verifier.verify(token) == first
    assert first.caller.id == "u9"


def test_a_remembered_token_still_expires(public_key_path, make_token, monkeypatch):
    import gateway.auth as auth
    from gateway.errors import ProblemError
    from tests.unit.gateway.conftest import AUDIENCE, ISSUER

    verifier = auth.TokenVerifier(str(public_key_path), issuer=ISSUER, audience=AUDIENCE, leeway=10)
    token = make_token(exp=int(time.time()) + 60)
    expires_at = verifier.verify(token).expires_at
    now = expires_at + 9
    monkeypatch.setattr(auth.time, "time", lambda: now)
    assert verifier.verify(token).expires_at == expires_at
    now = expires_at + 10
    with pytest.raises(ProblemError) as refused:
        verifier.verify(token)
    assert refused.value.status_code == 401
