"""Accounts people manage, through the gateway (identity and the gateway as
real processes, e-mails over SMTP to a local sink): changing a password,
seeing and ending logins, listing and revoking invitations, resetting a
lost password and signing in by e-mail link."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications.smtp_sink import SmtpSink
from shared.contracts import Envelope
from shared.contracts.moderation import SanctionImposed
from stack.testing import free_port, wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "une toute nouvelle phrase secrète"
WEB = "https://pilote.example.fr"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("accounts-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def services(start_service, smtp):
    return {"identity": start_service(
        "identity", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, EMAIL_POLL_SECONDS=0.2,
        PASSWORD_RESET_URL=f"{WEB}/mot-de-passe/nouveau", EMAIL_LINK_URL=f"{WEB}/connexion/lien")}


@pytest.fixture(scope="module")
def gateway_env(services) -> dict:
    return {"GATEWAY_SERVICES": "identity"}


@pytest.fixture
def admin_headers(http, platform) -> dict:
    pair = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                             "password": platform.platform_admin_password}).json()
    return bearer(pair["access_token"])


@pytest.fixture
def member(http, admin_headers):
    """A fresh job seeker of Montpellier: (user, e-mail)."""
    code = http.post("/v1/invitations", json={"role": "job_seeker", "agency_code": "OCC-MONTPELLIER"},
                     headers=admin_headers).json()["code"]
    email = f"m-{uuid.uuid4().hex[:8]}@exemple.fr"
    user = http.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                                "display_name": "Nour"})
    assert user.status_code == 201, user.text
    return user.json(), email


def sign_in(http, email, password=PASSWORD, browser="Firefox/128.0") -> dict:
    response = http.post("/v1/auth/token", json={"email": email, "password": password},
                         headers={"User-Agent": browser})
    assert response.status_code == 200, response.text
    return response.json()


def mail(smtp, address: str, subject: str):
    return wait_for(lambda: next((m for m in smtp.messages() if m["To"] == address and m["Subject"] == subject), None),
                    timeout=10, message=f"«{subject}» to reach {address}")


def token_in(message, page: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(WEB + page)}\?token=([A-Za-z0-9_-]+)", text).group(1)


def refused(http, token: str) -> bool:
    return http.get("/v1/me", headers=bearer(token)).status_code == 401


def test_changing_the_password_ends_the_other_logins_and_tells_by_e_mail(http, member, smtp):
    _, email = member
    here, elsewhere = sign_in(http, email), sign_in(http, email, browser="Chrome/126.0")
    headers = bearer(here["access_token"])

    wrong = http.post("/v1/me/password", json={"current_password": "pas le bon", "new_password": NEW_PASSWORD},
                      headers=headers)
    assert wrong.status_code == 403
    weak = http.post("/v1/me/password", json={"current_password": PASSWORD, "new_password": "motdepasse"},
                     headers=headers)
    assert weak.status_code == 422 and weak.json()["errors"][0]["loc"][-1] == "new_password"
    changed = http.post("/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        headers=headers)
    assert changed.status_code == 204

    wait_for(lambda: refused(http, elsewhere["access_token"]), timeout=5, message="the other login to end")
    assert http.get("/v1/me", headers=headers).status_code == 200
    assert http.post("/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    assert http.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code == 401
    sign_in(http, email, NEW_PASSWORD)
    assert "mot de passe" in mail(smtp, email, "Votre mot de passe a été changé").get_body(("plain",)).get_content()


def test_a_member_sees_their_logins_and_ends_one(http, member):
    _, email = member
    here, other = sign_in(http, email, browser="Firefox/128.0"), sign_in(http, email, browser="Safari/17.5")
    listed = http.get("/v1/me/sessions", headers=bearer(here["access_token"]))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(s["user_agent"], s["current"]) for s in items] == [("Safari/17.5", False), ("Firefox/128.0", True)]
    assert listed.json()["next_cursor"] is None

    other_id = items[0]["id"]
    assert http.delete(f"/v1/me/sessions/{other_id}", headers=bearer(here["access_token"])).status_code == 204
    wait_for(lambda: refused(http, other["access_token"]), timeout=5, message="the ended login's token to be refused")
    assert http.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401
    assert [s["id"] for s in http.get("/v1/me/sessions", headers=bearer(here["access_token"])).json()["items"]] \
        == [items[1]["id"]]
    assert http.delete(f"/v1/me/sessions/{uuid.uuid4()}", headers=bearer(here["access_token"])).status_code == 404


def test_advisors_list_their_agencys_invitations_and_revoke_them(http, admin_headers):
    code = http.post("/v1/invitations", json={"role": "advisor", "agency_code": "ARA-GRENOBLE"},
                     headers=admin_headers).json()["code"]
    advisor_email = f"conseil-{uuid.uuid4().hex[:8]}@exemple.fr"
    assert http.post("/v1/auth/register", json={"invitation_code": code, "email": advisor_email,
                                                "password": PASSWORD, "display_name": "Inès"}).status_code == 201
    advisor = bearer(sign_in(http, advisor_email)["access_token"])
    made = http.post("/v1/invitations", json={"role": "job_seeker"}, headers=advisor).json()["code"]
    elsewhere = http.post("/v1/invitations", json={"role": "job_seeker", "agency_code": "HDF-LILLE"},
                          headers=admin_headers).json()["code"]

    listed = http.get("/v1/invitations?active=true", headers=advisor)
    assert listed.status_code == 200
    codes = [i["code"] for i in listed.json()["items"]]
    assert codes[0] == made and elsewhere not in codes and code not in codes  # code is used up
    assert listed.json()["items"][0]["uses"] == 0 and listed.json()["items"][0]["revoked_at"] is None

    assert http.delete(f"/v1/invitations/{made}", headers=advisor).status_code == 204
    assert http.delete(f"/v1/invitations/{elsewhere}", headers=advisor).status_code == 404
    assert made not in [i["code"] for i in http.get("/v1/invitations?active=true", headers=advisor).json()["items"]]
    registering = http.post("/v1/auth/register", json={"invitation_code": made, "email": "trop-tard@exemple.fr",
                                                       "password": PASSWORD, "display_name": "Léo"})
    assert registering.status_code == 403
    everything = http.get("/v1/invitations?limit=100", headers=admin_headers).json()["items"]
    assert {made, elsewhere} <= {i["code"] for i in everything}


def test_job_seekers_do_not_see_invitations(http, member):
    _, email = member
    token = sign_in(http, email)["access_token"]
    assert http.get("/v1/invitations", headers=bearer(token)).status_code == 403


def test_a_lost_password_is_reset_with_a_single_use_link(http, member, smtp):
    _, email = member
    old = sign_in(http, email)
    assert http.post("/v1/auth/password-reset", json={"email": email}).status_code == 202
    assert http.post("/v1/auth/password-reset", json={"email": "inconnu@exemple.fr"}).status_code == 202
    token = token_in(mail(smtp, email, "Choisir un nouveau mot de passe"), "/mot-de-passe/nouveau")

    confirm = {"token": token, "new_password": NEW_PASSWORD}
    assert http.post("/v1/auth/password-reset/confirm", json=confirm).status_code == 204
    again = http.post("/v1/auth/password-reset/confirm", json=confirm)
    assert again.status_code == 400 and again.headers["content-type"].startswith("application/problem+json")
    assert http.post("/v1/auth/password-reset/confirm",
                     json={"token": "inconnu", "new_password": NEW_PASSWORD}).status_code == 400
    wait_for(lambda: refused(http, old["access_token"]), timeout=5, message="every login to end")
    sign_in(http, email, NEW_PASSWORD)
    assert mail(smtp, email, "Votre mot de passe a été changé")
    assert not [m for m in smtp.messages() if m["To"] == "inconnu@exemple.fr"]


def test_a_sign_in_link_gives_the_usual_token_pair_once(http, member, smtp):
    user, email = member
    assert http.post("/v1/auth/email-link", json={"email": email}).status_code == 202
    token = token_in(mail(smtp, email, "Votre lien de connexion"), "/connexion/lien")
    pair = http.post("/v1/auth/email-link/confirm", json={"token": token})
    assert pair.status_code == 200 and pair.json()["token_type"] == "bearer"
    assert http.get("/v1/me", headers=bearer(pair.json()["access_token"])).json()["id"] == user["id"]
    assert http.post("/v1/auth/email-link/confirm", json={"token": token}).status_code == 400


def test_a_suspended_member_with_the_right_password_gets_the_wrong_password_answer(http, member, platform):
    user, email = member
    now = datetime.now(timezone.utc)
    suspended = SanctionImposed(
        sanction_id=str(uuid.uuid4()), user_id=user["id"], agency_code="OCC-MONTPELLIER", type="suspend",
        reason="Insultes répétées", expires_at=now + timedelta(days=7), imposed_by=str(uuid.uuid4()), imposed_at=now,
    )
    token = sign_in(http, email)["access_token"]
    publish_raw(platform.amqp_uri, Envelope.wrap(suspended).model_dump(mode="json"), "sanction_imposed", "moderation")
    wait_for(lambda: refused(http, token), timeout=5, message="the suspension to reach the gateway")

    right = http.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
    wrong = http.post("/v1/auth/token", json={"email": email, "password": "pas le bon mot de passe"})
    assert right.status_code == wrong.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(right.json()) == strip(wrong.json())
