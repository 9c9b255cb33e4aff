"""Revoked access, profile changes and GDPR rights at the gateway."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from gateway.access import AccessBlocklist
from stack.services import SERVICES

ME = {"id": "u1", "email": "a@b.fr", "display_name": "A", "role": "job_seeker", "agency_code": "75001",
      "bio": "", "topics": [], "created_at": "2026-11-29T00:00:00+00:00"}


def envelope(event_type: str, **payload) -> dict:
    return {"event_type": f"identity.{event_type}", "version": 1, "payload": payload}


def test_a_suspended_member_is_refused_with_an_unexpired_token(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("identity", "get_me")] = ME
    user = str(uuid.uuid4())
    headers = auth(sub=user)
    assert client.get("/v1/me", headers=headers).status_code == 200

    until = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    client.app.state.access_blocklist.apply(
        envelope("access_revoked", user_id=user, session_id=None, reason="suspended", until=until)
    )
    calls_before = len(fake_rpc.calls)
    assert_problem(client.get("/v1/me", headers=headers), 401)
    assert len(fake_rpc.calls) == calls_before, "a refused request reaches no service"

    client.app.state.access_blocklist.apply(envelope("access_restored", user_id=user))
    assert client.get("/v1/me", headers=headers).status_code == 200


def test_a_revoked_login_refuses_its_access_tokens_only(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("identity", "get_me")] = ME
    user = str(uuid.uuid4())
    until = (datetime.now(timezone.utc) + timedelta(minutes=15)).isoformat()
    client.app.state.access_blocklist.apply(
        envelope("access_revoked", user_id=None, session_id="login-1", reason="session_revoked", until=until)
    )
    assert_problem(client.get("/v1/me", headers=auth(sub=user, sid="login-1")), 401)
    assert client.get("/v1/me", headers=auth(sub=user, sid="login-2")).status_code == 200


def test_blocks_end_by_themselves():
    blocklist = AccessBlocklist()
    now = datetime.now(timezone.utc)
    blocklist.block_user("u", now + timedelta(hours=1))
    blocklist.block_session("s", now + timedelta(minutes=15))
    assert blocklist.is_blocked("u", None, now) and blocklist.is_blocked("x", "s", now)
    later = now + timedelta(hours=2)
    assert not blocklist.is_blocked("u", None, later) and not blocklist.is_blocked("x", "s", later)


def test_an_erased_member_is_refused_for_good():
    blocklist = AccessBlocklist()
    blocklist.load({"users": [{"user_id": "gone", "until": None}], "sessions": []})
    assert blocklist.is_blocked("gone", None, datetime.now(timezone.utc) + timedelta(days=3650))


@pytest.mark.parametrize("field", ["role", "agency_code", "email", "status", "password"])
def test_patch_me_refuses_forbidden_and_unknown_fields(client, fake_rpc, auth, assert_problem, field):
    body = assert_problem(client.patch("/v1/me", json={field: "admin"}, headers=auth()), 422)
    assert any(err["loc"][-1] == field for err in body["errors"])
    assert not fake_rpc.calls


def test_patch_me_forwards_only_what_was_sent(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "update_me")] = {**ME, "bio": "Soudeuse"}
    response = client.patch("/v1/me", json={"bio": "Soudeuse"}, headers=auth())
    assert response.status_code == 200
    assert fake_rpc.last().args == ({"bio": "Soudeuse"},)


def test_export_gathers_every_service(client, fake_rpc, auth):
    for name in SERVICES:
        fake_rpc.replies[(name, "export_user_data")] = {"from": name}
    user = str(uuid.uuid4())
    response = client.get("/v1/me/export", headers=auth(sub=user))
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == user
    assert body["services"] == {name: {"from": name} for name in SERVICES}
    assert {c.context["caller_id"] for c in fake_rpc.calls} == {user}


def test_delete_me_is_accepted(client, fake_rpc, auth):
    response = client.delete("/v1/me", headers=auth())
    assert response.status_code == 202
    assert (fake_rpc.last().service, fake_rpc.last().method) == ("identity", "erase_me")
