"""identity's account management over real RPC, RabbitMQ and PostgreSQL:
sessions, the length of a login, invitations, password changes and resets."""
import re

import jwt
import pytest
from nameko.exceptions import RemoteError

from services.notifications.smtp_sink import SmtpSink
from stack.testing import db_connect, free_port, wait_for
from tests.integration.test_notifications_service import FlakySmtpHandler

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    # 451 to a flaky- address's first attempt, to a down- address always.
    directory = tmp_path_factory.mktemp("identity-mail")
    sink = SmtpSink(directory, port=free_port(), handler=FlakySmtpHandler(directory)).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def identity(start_service, smtp):
    return start_service("identity", LOGIN_MAX_DAYS=1, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                         EMAIL_POLL_SECONDS=0.2, EMAIL_RETRY_BASE_SECONDS=0.3, EMAIL_MAX_ATTEMPTS=3,
                         PASSWORD_RESET_URL="https://pilote.example.fr/mot-de-passe/nouveau")


def mail_to(smtp, address: str, subject: str):
    return wait_for(lambda: next((m for m in smtp.messages() if m["To"] == address and m["Subject"] == subject), None),
                    timeout=10, message=f"«{subject}» to reach {address}")


def sign_in(rpc, member, user_agent="Firefox/128.0") -> dict:
    return rpc().identity.login({"email": member["email"], "password": member["password"]}, "10.0.0.9", user_agent)


def session_of(pair) -> str:
    return jwt.decode(pair["access_token"], options={"verify_signature": False})["sid"]


def as_caller(member, pair=None) -> dict:
    return {"id": member["id"], "role": member["role"], "agency_code": member["agency_code"],
            "session_id": session_of(pair) if pair else None}


def test_sessions_are_listed_newest_first_and_paged(identity, rpc, make_member):
    member = make_member()
    pairs = [sign_in(rpc, member, f"Navigateur {n}") for n in range(3)]
    me = rpc(as_caller(member, pairs[0])).identity

    first = me.list_sessions({"limit": 2})
    rest = me.list_sessions({"limit": 2, "cursor": first["next_cursor"]})

    listed = first["items"] + rest["items"]
    assert [s["id"] for s in listed] == [session_of(p) for p in reversed(pairs)]
    assert [s["user_agent"] for s in listed] == ["Navigateur 2", "Navigateur 1", "Navigateur 0"]
    assert [s["current"] for s in listed] == [False, False, True] and rest["next_cursor"] is None


def test_an_ended_session_cannot_be_refreshed_and_the_gateway_is_told(identity, rpc, make_member, platform):
    member = make_member()
    kept, ended = sign_in(rpc, member), sign_in(rpc, member)
    rpc(as_caller(member, kept)).identity.end_session(session_of(ended))

    with pytest.raises(RemoteError) as refused:
        rpc().identity.refresh({"refresh_token": ended["refresh_token"]})
    assert refused.value.exc_type == "Unauthorized"
    assert rpc().identity.refresh({"refresh_token": kept["refresh_token"]})["access_token"]
    with db_connect(platform, "identity") as conn:
        (revoked,) = conn.execute(
            "SELECT count(*) FROM outbox WHERE event_type = 'identity.access_revoked' "
            "AND envelope->'payload'->>'session_id' = %s", (session_of(ended),)).fetchone()
    assert revoked == 1
    other = make_member()
    with pytest.raises(RemoteError) as foreign:
        rpc(as_caller(other)).identity.end_session(session_of(kept))
    assert foreign.value.exc_type == "NotFound"


def test_a_login_ends_after_login_max_days_whatever_the_refreshes(identity, rpc, make_member, platform):
    member = make_member()
    pair = sign_in(rpc, member)
    with db_connect(platform, "identity") as conn:
        started, ends = conn.execute("SELECT created_at, expires_at FROM login_sessions WHERE id = %s",
                                     (session_of(pair),)).fetchone()
        assert (ends - started).total_seconds() == 86400  # LOGIN_MAX_DAYS=1 for this module
        # A day later, as far as the database can tell.
        conn.execute("UPDATE login_sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
                     (session_of(pair),))
    with pytest.raises(RemoteError) as expired:
        rpc().identity.refresh({"refresh_token": pair["refresh_token"]})
    assert expired.value.exc_type == "Unauthorized"


def test_invitations_are_listed_per_agency_newest_first_and_revoked(identity, rpc, admin, make_member):
    advisor = make_member("advisor", "ARA-GRENOBLE")
    as_advisor = rpc(as_caller(advisor)).identity
    codes = [as_advisor.create_invitation({"role": "job_seeker"})["code"] for _ in range(3)]
    elsewhere = rpc(admin).identity.create_invitation({"role": "job_seeker", "agency_code": "HDF-LILLE"})["code"]

    first = as_advisor.list_invitations({"limit": 2})
    rest = as_advisor.list_invitations({"limit": 2, "cursor": first["next_cursor"]})
    listed = [i["code"] for i in first["items"] + rest["items"]]
    # Then the admin's invitation that made this advisor, the agency's too.
    assert listed[:3] == codes[::-1] and len(listed) == 4 and elsewhere not in listed

    as_advisor.revoke_invitation(codes[0])
    active = [i["code"] for i in as_advisor.list_invitations({"active": True})["items"]]
    assert codes[0] not in active and codes[1] in active
    with pytest.raises(RemoteError) as refused:
        rpc().identity.register({"invitation_code": codes[0], "email": "revoquee@exemple.fr",
                                 "password": "une longue phrase de passe", "display_name": "Nour"})
    assert refused.value.exc_type == "Forbidden"
    with pytest.raises(RemoteError) as hidden:
        as_advisor.revoke_invitation(elsewhere)
    assert hidden.value.exc_type == "NotFound"


NEW_PASSWORD = "une toute nouvelle phrase secrète"


def test_a_password_reset_goes_by_smtp_and_its_link_works_once(identity, rpc, make_member, smtp, platform):
    member = make_member()
    old_login = sign_in(rpc, member)
    rpc().identity.request_password_reset({"email": member["email"].upper()})
    rpc().identity.request_password_reset({"email": "personne@exemple.fr"})  # same answer, no e-mail

    message = mail_to(smtp, member["email"], "Choisir un nouveau mot de passe")
    text = message.get_body(("plain",)).get_content()
    token = re.search(r"https://pilote\.example\.fr/mot-de-passe/nouveau\?token=([A-Za-z0-9_-]+)", text).group(1)
    with db_connect(platform, "identity") as conn:
        stored = conn.execute("SELECT token_hash FROM auth_tokens").fetchall()
        bodies = conn.execute("SELECT text_body || html_body FROM emails WHERE to_address = %s",
                              (member["email"],)).fetchall()
    assert all(token not in row[0] for row in stored + bodies)  # hashed; the sent e-mail's body emptied

    rpc().identity.confirm_password_reset({"token": token, "new_password": NEW_PASSWORD})
    with pytest.raises(RemoteError) as again:
        rpc().identity.confirm_password_reset({"token": token, "new_password": NEW_PASSWORD})
    assert again.value.exc_type == "BadRequest"
    with pytest.raises(RemoteError):
        rpc().identity.refresh({"refresh_token": old_login["refresh_token"]})
    assert rpc().identity.login({"email": member["email"], "password": NEW_PASSWORD})["access_token"]
    assert mail_to(smtp, member["email"], "Votre mot de passe a été changé")
    assert not [m for m in smtp.messages() if m["To"] == "personne@exemple.fr"]


def test_a_sign_in_link_gives_a_token_pair(identity, rpc, make_member, smtp):
    member = make_member()
    rpc().identity.request_email_link({"email": member["email"]})
    text = mail_to(smtp, member["email"], "Votre lien de connexion").get_body(("plain",)).get_content()
    token = re.search(r"\?token=([A-Za-z0-9_-]+)", text).group(1)
    pair = rpc().identity.confirm_email_link({"token": token}, "Firefox/128.0")
    sessions = rpc(as_caller(member, pair)).identity.list_sessions({})["items"]
    assert [(s["user_agent"], s["current"]) for s in sessions] == [("Firefox/128.0", True)]


def test_changing_the_password_keeps_this_login_and_tells_by_e_mail(identity, rpc, make_member, smtp):
    member = make_member()
    here, elsewhere = sign_in(rpc, member), sign_in(rpc, member)
    me = rpc(as_caller(member, here)).identity
    with pytest.raises(RemoteError) as wrong:
        me.change_password({"current_password": "pas le bon mot de passe", "new_password": NEW_PASSWORD})
    assert wrong.value.exc_type == "Forbidden"
    me.change_password({"current_password": member["password"], "new_password": NEW_PASSWORD})
    assert rpc().identity.refresh({"refresh_token": here["refresh_token"]})
    with pytest.raises(RemoteError):
        rpc().identity.refresh({"refresh_token": elsewhere["refresh_token"]})
    assert mail_to(smtp, member["email"], "Votre mot de passe a été changé")


def test_logins_over_for_thirty_days_are_forgotten_with_their_tokens(identity, rpc, make_member, platform):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.orm import sessionmaker

    from services.identity.repository import IdentityUnitOfWork
    from shared.db.engine import make_engine

    member = make_member()
    old, recent = sign_in(rpc, member), sign_in(rpc, member)
    with db_connect(platform, "identity") as conn:
        conn.execute("UPDATE login_sessions SET expires_at = now() - interval '31 days' WHERE id = %s",
                     (session_of(old),))
    engine = make_engine(platform.database_url("identity"), pool_size=1)
    try:
        with IdentityUnitOfWork(sessionmaker(engine)) as uow:
            uow.sessions.purge_ended_before(datetime.now(timezone.utc) - timedelta(days=30))
            uow.commit()
    finally:
        engine.dispose()
    with db_connect(platform, "identity") as conn:
        left = conn.execute("SELECT id::text FROM login_sessions WHERE user_id = %s", (member["id"],)).fetchall()
        tokens = conn.execute("SELECT DISTINCT family_id::text FROM refresh_tokens WHERE user_id = %s",
                              (member["id"],)).fetchall()
    assert left == tokens == [(session_of(recent),)]


def member_at(rpc, admin, address: str) -> dict:
    code = rpc(admin).identity.create_invitation({"role": "job_seeker", "agency_code": "HDF-LILLE"})["code"]
    return rpc().identity.register({"invitation_code": code, "email": address, "password": "une longue phrase de passe",
                                    "display_name": "Camille"})


def email_row(platform, address: str):
    with db_connect(platform, "identity") as conn:
        return conn.execute("SELECT status, attempts, length(text_body), last_error FROM emails WHERE to_address = %s",
                            (address,)).fetchone()


def test_a_temporary_smtp_refusal_is_retried_and_a_lasting_one_given_up(identity, rpc, admin, smtp, platform):
    from uuid import uuid4

    flaky, down = f"flaky-{uuid4().hex[:8]}@exemple.fr", f"down-{uuid4().hex[:8]}@exemple.fr"
    for address in (flaky, down):
        member_at(rpc, admin, address)
        rpc().identity.request_password_reset({"email": address})

    assert mail_to(smtp, flaky, "Choisir un nouveau mot de passe")
    wait_for(lambda: email_row(platform, flaky)[0] == "sent", timeout=10, message="the retried e-mail marked sent")
    assert email_row(platform, flaky)[:3] == ("sent", 2, 0)
    wait_for(lambda: email_row(platform, down)[0] == "failed", timeout=15, message="the e-mail given up")
    status, attempts, body_length, error = email_row(platform, down)
    assert (attempts, body_length) == (3, 0) and error.startswith("451")
