"""Identity and access through the gateway: brute force, revocation of
tokens that have not expired, profile changes, erasure."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.contracts import Envelope
from shared.contracts.moderation import SanctionImposed, SanctionLifted
from stack.testing import db_connect, wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def member(http, platform):
    """A fresh job seeker: (user, credentials, token pair)."""
    admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email, "password": platform.platform_admin_password})
    code = http.post(
        "/v1/invitations", json={"role": "job_seeker", "agency_code": "OCC-MONTPELLIER"},
        headers=bearer(admin.json()["access_token"]),
    ).json()["code"]
    email = f"m-{uuid.uuid4().hex[:8]}@exemple.fr"
    user = http.post(
        "/v1/auth/register",
        json={"invitation_code": code, "email": email, "password": PASSWORD, "display_name": "Nour"},
    ).json()
    pair = http.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).json()
    return user, {"email": email, "password": PASSWORD}, pair


def test_wrong_password_and_unknown_email_get_the_same_answer(http, member):
    _, creds, _ = member
    wrong = http.post("/v1/auth/token", json={"email": creds["email"], "password": "pas le bon mot de passe"})
    unknown = http.post("/v1/auth/token", json={"email": "inconnu@exemple.fr", "password": "pas le bon mot de passe"})
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())


def test_login_is_rate_limited_after_ten_failures_for_one_account(http, member):
    _, creds, _ = member
    for _ in range(10):
        assert http.post("/v1/auth/token", json={"email": creds["email"], "password": "mauvais essai"}).status_code == 401
    blocked = http.post("/v1/auth/token", json=creds)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.headers["content-type"].startswith("application/problem+json")


def test_a_suspension_ends_access_with_unexpired_tokens_and_lifting_restores_it(http, member, platform):
    user, creds, pair = member
    token = pair["access_token"]
    assert http.get("/v1/me", headers=bearer(token)).status_code == 200

    now = datetime.now(timezone.utc)
    sanction_id = str(uuid.uuid4())
    imposed = SanctionImposed(
        sanction_id=sanction_id, user_id=user["id"], agency_code="OCC-MONTPELLIER", type="suspend",
        reason="Insultes répétées", expires_at=now + timedelta(days=7), imposed_by=str(uuid.uuid4()), imposed_at=now,
    )
    publish_raw(platform.amqp_uri, Envelope.wrap(imposed).model_dump(mode="json"), "sanction_imposed", "moderation")

    wait_for(lambda: http.get("/v1/me", headers=bearer(token)).status_code == 401, timeout=5,
             message="the gateway to refuse the suspended member")
    assert http.post("/v1/auth/token", json=creds).status_code == 401
    assert http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401

    lifted = SanctionLifted(sanction_id=sanction_id, user_id=user["id"], type="suspend", lifted_at=now)
    publish_raw(platform.amqp_uri, Envelope.wrap(lifted).model_dump(mode="json"), "sanction_lifted", "moderation")
    wait_for(lambda: http.get("/v1/me", headers=bearer(token)).status_code == 200, timeout=5,
             message="access to come back")
    assert http.post("/v1/auth/token", json=creds).status_code == 200


def test_replaying_a_used_refresh_token_revokes_every_token_of_that_login(http, member, platform):
    _, creds, first = member
    second = http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    other_login = http.post("/v1/auth/token", json=creds).json()
    time.sleep(platform.refresh_reuse_grace_seconds + 1)  # past it, a second use is a replay, not a retry

    replay = http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert http.post("/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}).status_code == 401
    wait_for(lambda: http.get("/v1/me", headers=bearer(second.json()["access_token"])).status_code == 401,
             timeout=5, message="the login's access token to be refused")
    assert http.get("/v1/me", headers=bearer(first["access_token"])).status_code == 401
    assert http.get("/v1/me", headers=bearer(other_login["access_token"])).status_code == 200


def test_logout_ends_that_login(http, member):
    _, _, pair = member
    assert http.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]},
                     headers=bearer(pair["access_token"])).status_code == 204
    wait_for(lambda: http.get("/v1/me", headers=bearer(pair["access_token"])).status_code == 401, timeout=5,
             message="the access token to be refused after logout")


def test_a_member_edits_their_profile_but_not_their_role(http, member):
    _, _, pair = member
    headers = bearer(pair["access_token"])
    forbidden = http.patch("/v1/me", json={"role": "admin"}, headers=headers)
    assert forbidden.status_code == 422
    changed = http.patch("/v1/me", json={"bio": "Cheffe de rang, je cherche en salle.", "topics": ["G1803"]}, headers=headers)
    assert changed.status_code == 200, changed.text
    me = http.get("/v1/me", headers=headers).json()
    assert me["role"] == "job_seeker" and me["topics"] == ["G1803"] and me["bio"].startswith("Cheffe")


def test_a_member_may_not_pose_as_staff_by_name(http, member, platform):
    """Issue 13: "Conseiller …", "Pôle emploi", "France Travail"... are refused
    with a 422 naming the field, at registration and on PATCH /v1/me."""
    _, _, pair = member
    refused = http.patch("/v1/me", json={"display_name": "Conseillère Pôle Emploi"}, headers=bearer(pair["access_token"]))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["loc"] == ["body", "display_name"]
    assert http.get("/v1/me", headers=bearer(pair["access_token"])).json()["display_name"] == "Nour"

    admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                              "password": platform.platform_admin_password}).json()["access_token"]
    code = http.post("/v1/invitations", json={"role": "job_seeker", "agency_code": "OCC-MONTPELLIER"},
                     headers=bearer(admin)).json()["code"]
    registration = {"invitation_code": code, "email": f"m-{uuid.uuid4().hex[:8]}@exemple.fr", "password": PASSWORD,
                    "display_name": "france travail"}
    refused = http.post("/v1/auth/register", json=registration)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "display_name"]
    # The invitation was not used up: the same person registers under their own name.
    assert http.post("/v1/auth/register", json={**registration, "display_name": "Nour B."}).status_code == 201


def test_erasing_the_account_ends_login_and_removes_personal_data_from_identity(http, member, platform):
    user, creds, pair = member
    assert http.delete("/v1/me", headers=bearer(pair["access_token"])).status_code == 202
    assert http.post("/v1/auth/token", json=creds).status_code == 401
    wait_for(lambda: http.get("/v1/me", headers=bearer(pair["access_token"])).status_code == 401, timeout=5,
             message="the erased member's token to be refused")
    with db_connect(platform, "identity") as conn:
        email, name, password_hash = conn.execute(
            "SELECT email, display_name, password_hash FROM users WHERE id = %s", (user["id"],)
        ).fetchone()
    assert creds["email"] not in email and name == "Membre supprimé" and password_hash == ""


def test_passwords_and_tokens_never_reach_the_logs(http, member, services, gateway_log):
    _, creds, pair = member
    http.post("/v1/auth/token", json={"email": creds["email"], "password": "un autre mot de passe faux"})
    http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    logs = gateway_log() + "".join(process.logs() for process in services.values())
    for secret in (creds["password"], "un autre mot de passe faux", pair["refresh_token"], pair["access_token"]):
        assert secret not in logs


def test_a_job_seeker_cannot_act_as_the_organiser_of_an_event(http, member, platform):
    admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                              "password": platform.platform_admin_password}).json()["access_token"]
    starts = datetime.now(timezone.utc) + timedelta(days=2)
    event = http.post("/v1/events", headers=bearer(admin), json={
        "title": "Job dating logistique", "description": "Entretiens de dix minutes", "kind": "job_fair",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "location": "Agence Montpellier Antigone", "capacity": 30, "agency_code": "OCC-MONTPELLIER", "topics": []})
    assert event.status_code == 201, event.text
    user, _, pair = member
    seeker = bearer(pair["access_token"])
    event_id = event.json()["id"]
    assert http.get(f"/v1/events/{event_id}/registrations", headers=seeker).status_code == 403
    assert http.post(f"/v1/events/{event_id}/cancel", json={"reason": "Je voudrais annuler"}, headers=seeker).status_code == 403
    assert http.post(f"/v1/events/{event_id}/attendance", json={"user_id": user["id"], "attended": True},
                     headers=seeker).status_code == 403
