"""identity: what members manage of their account (sessions, the length of a
login, no oracle on suspended accounts), over in-memory fakes."""
import uuid
from datetime import timedelta

import jwt
import pytest

from services.identity import emails as emails_module
from services.identity import handlers
from services.identity.tokens import hash_refresh_token
from shared.caller import Caller
from shared.contracts.identity import AccessRevoked
from shared.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from tests.unit.fakes import TOKEN_AUDIENCE, TOKEN_ISSUER
from tests.unit.services.test_identity_handlers import PASSWORD, add_user


def sign_in(uow, hasher, tokens, now, user, user_agent="Mozilla/5.0 (X11; Linux) Firefox/128.0") -> dict:
    return handlers.login(uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now, "10.0.0.1", user_agent)


def sid_of(pair, public_key_pem) -> str:
    return jwt.decode(pair["access_token"], public_key_pem, algorithms=["EdDSA"], audience=TOKEN_AUDIENCE,
                      issuer=TOKEN_ISSUER, options={"verify_exp": False, "verify_iat": False})["sid"]


def as_caller(user, session_id=None) -> Caller:
    return Caller(str(user.id), user.role, user.agency_code, session_id)


# ---------------------------------------------------------------- length of a login

def test_a_login_ends_thirty_days_after_sign_in_however_often_it_is_refreshed(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = sign_in(identity_uow, hasher, tokens, now, user)
    at = now
    # Refreshed every day: each refresh works until the 30th day.
    while at + timedelta(days=1) < now + tokens.login_ttl:
        at += timedelta(days=1)
        pair = handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, at)
    stored = identity_uow.refresh_tokens.get_for_update(hash_refresh_token(pair["refresh_token"]))
    assert stored.expires_at == now + tokens.login_ttl  # never past the login's end
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now + tokens.login_ttl)


def test_an_access_token_never_outlives_its_login(identity_uow, hasher, signing_key, public_key_pem, now):
    from cryptography.hazmat.primitives import serialization

    from services.identity.tokens import TokenIssuer

    pem = signing_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    short = TokenIssuer(pem, TOKEN_ISSUER, TOKEN_AUDIENCE, access_minutes=15, refresh_days=30, login_days=5 / 1440)
    user = add_user(identity_uow, hasher, now)
    pair = sign_in(identity_uow, hasher, short, now, user)
    claims = jwt.decode(pair["access_token"], public_key_pem, algorithms=["EdDSA"], audience=TOKEN_AUDIENCE,
                        issuer=TOKEN_ISSUER)
    assert claims["exp"] == int((now + timedelta(minutes=5)).timestamp())
    assert pair["expires_in"] == 300


def test_a_suspended_member_with_the_right_password_gets_the_wrong_password_answer(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now, status="suspended")
    other = add_user(identity_uow, hasher, now, email="autre@exemple.fr")
    with pytest.raises(Unauthorized) as suspended:
        sign_in(identity_uow, hasher, tokens, now, user)
    with pytest.raises(Unauthorized) as wrong:
        handlers.login(identity_uow, {"email": other.email, "password": "pas le bon mot de passe"}, hasher, tokens, now)
    assert str(suspended.value) == str(wrong.value)
    # Counted like a wrong password, so the throttle cannot tell them apart either.
    assert len(identity_uow.login_failures.times(f"email:{user.email}", now - timedelta(minutes=1))) == 1


# ---------------------------------------------------------------- sessions

def test_a_member_lists_their_logins_and_sees_which_one_is_theirs(identity_uow, hasher, tokens, public_key_pem, now):
    user = add_user(identity_uow, hasher, now)
    first = sign_in(identity_uow, hasher, tokens, now, user, "Firefox")
    second = sign_in(identity_uow, hasher, tokens, now + timedelta(minutes=1), user, "Chrome\x00\x1b[31m")
    add_user(identity_uow, hasher, now, email="autre@exemple.fr")
    caller = as_caller(user, sid_of(first, public_key_pem))

    page = handlers.list_sessions(identity_uow, caller, {}, tokens, now + timedelta(minutes=2))

    assert [s["id"] for s in page["items"]] == [sid_of(second, public_key_pem), sid_of(first, public_key_pem)]
    assert [s["current"] for s in page["items"]] == [False, True]
    assert [s["user_agent"] for s in page["items"]] == ["Chrome[31m", "Firefox"]
    assert page["next_cursor"] is None


def test_sessions_are_paged_with_a_signed_cursor(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    for minute in range(3):
        sign_in(identity_uow, hasher, tokens, now + timedelta(minutes=minute), user)
    later = now + timedelta(minutes=5)
    first = handlers.list_sessions(identity_uow, as_caller(user), {"limit": 2}, tokens, later)
    rest = handlers.list_sessions(identity_uow, as_caller(user), {"limit": 2, "cursor": first["next_cursor"]}, tokens, later)
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    with pytest.raises(ValidationFailed):
        handlers.list_sessions(identity_uow, as_caller(user), {"cursor": first["next_cursor"] + "x"}, tokens, later)


def test_ending_a_session_revokes_its_tokens_and_tells_the_gateway(identity_uow, hasher, tokens, public_key_pem, now):
    user = add_user(identity_uow, hasher, now)
    kept = sign_in(identity_uow, hasher, tokens, now, user)
    ended = sign_in(identity_uow, hasher, tokens, now, user)
    ended_id = sid_of(ended, public_key_pem)

    handlers.end_session(identity_uow, as_caller(user, sid_of(kept, public_key_pem)), ended_id, tokens, now)

    [revoked] = identity_uow.published_of(AccessRevoked)
    assert revoked.session_id == ended_id and revoked.user_id is None
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": ended["refresh_token"]}, tokens, now)
    assert handlers.refresh(identity_uow, {"refresh_token": kept["refresh_token"]}, tokens, now)
    listed = handlers.list_sessions(identity_uow, as_caller(user), {}, tokens, now)["items"]
    assert [s["id"] for s in listed] == [sid_of(kept, public_key_pem)]
    # Again: nothing more to do, still a success.
    handlers.end_session(identity_uow, as_caller(user), ended_id, tokens, now)
    assert len(identity_uow.published_of(AccessRevoked)) == 1


def test_nobody_ends_someone_elses_session(identity_uow, hasher, tokens, public_key_pem, now):
    owner = add_user(identity_uow, hasher, now)
    other = add_user(identity_uow, hasher, now, email="autre@exemple.fr", role="admin", agency=None)
    pair = sign_in(identity_uow, hasher, tokens, now, owner)
    for session_id in (sid_of(pair, public_key_pem), "pas-un-uuid", str(uuid.uuid4())):
        with pytest.raises(NotFound):
            handlers.end_session(identity_uow, as_caller(other), session_id, tokens, now)
    assert handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)


# ---------------------------------------------------------------- invitations

def invite(uow, caller, now, **data):
    return handlers.create_invitation(uow, caller, {"role": "job_seeker", **data}, now)


def staff(uow, hasher, now, role, agency, email):
    user = add_user(uow, hasher, now, email=email, role=role, agency=agency)
    return user, as_caller(user)


@pytest.fixture
def agencies(identity_uow):
    from services.identity.models import Agency

    for code in ("HDF-LILLE", "IDF-PARIS"):
        identity_uow.agencies.add(Agency(code=code, name=code, region="R"))


def test_advisors_list_their_agencys_invitations_and_admins_all(identity_uow, hasher, agencies, now):
    _, lille = staff(identity_uow, hasher, now, "advisor", "HDF-LILLE", "lille@exemple.fr")
    _, paris = staff(identity_uow, hasher, now, "advisor", "IDF-PARIS", "paris@exemple.fr")
    _, admin = staff(identity_uow, hasher, now, "admin", None, "admin@exemple.fr")
    mine = [invite(identity_uow, lille, now + timedelta(seconds=n))["code"] for n in range(3)]
    theirs = invite(identity_uow, paris, now)["code"]

    page = handlers.list_invitations(identity_uow, lille, {"limit": 2}, now)
    rest = handlers.list_invitations(identity_uow, lille, {"limit": 2, "cursor": page["next_cursor"]}, now)
    assert [i["code"] for i in page["items"] + rest["items"]] == mine[::-1]
    assert page["items"][0]["created_by"] == lille.id and page["items"][0]["uses"] == 0
    everything = handlers.list_invitations(identity_uow, admin, {}, now)["items"]
    assert {i["code"] for i in everything} == {*mine, theirs}
    with pytest.raises(Forbidden):
        handlers.list_invitations(identity_uow, Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE"), {}, now)


def test_active_invitations_leave_out_revoked_used_and_expired_ones(identity_uow, hasher, agencies, now):
    _, admin = staff(identity_uow, hasher, now, "admin", None, "admin@exemple.fr")
    live = invite(identity_uow, admin, now, agency_code="HDF-LILLE")["code"]
    revoked = invite(identity_uow, admin, now, agency_code="HDF-LILLE")["code"]
    used = invite(identity_uow, admin, now, agency_code="HDF-LILLE")["code"]
    expired = invite(identity_uow, admin, now, agency_code="HDF-LILLE", expires_in_days=1)["code"]
    handlers.revoke_invitation(identity_uow, admin, revoked, now)
    identity_uow.invitations.rows[used].uses = 1
    later = now + timedelta(days=2)
    active = handlers.list_invitations(identity_uow, admin, {"active": True}, later)["items"]
    assert [i["code"] for i in active] == [live]
    every = {i["code"]: i for i in handlers.list_invitations(identity_uow, admin, {}, later)["items"]}
    assert every[revoked]["revoked_at"] == now.isoformat() and not every[revoked]["active"]
    assert not every[expired]["active"] and every[live]["active"]


def test_a_revoked_invitation_no_longer_registers(identity_uow, hasher, common, agencies, now):
    _, lille = staff(identity_uow, hasher, now, "advisor", "HDF-LILLE", "lille@exemple.fr")
    code = invite(identity_uow, lille, now)["code"]
    handlers.revoke_invitation(identity_uow, lille, code, now)
    handlers.revoke_invitation(identity_uow, lille, code, now)  # again: nothing to do
    with pytest.raises(Forbidden):
        handlers.register(identity_uow, {"invitation_code": code, "email": "nouveau@exemple.fr",
                                         "password": PASSWORD, "display_name": "Nour"}, hasher, common, now)


def test_who_may_revoke_an_invitation(identity_uow, hasher, agencies, now):
    _, lille = staff(identity_uow, hasher, now, "advisor", "HDF-LILLE", "lille@exemple.fr")
    _, colleague = staff(identity_uow, hasher, now, "advisor", "HDF-LILLE", "collegue@exemple.fr")
    _, paris = staff(identity_uow, hasher, now, "advisor", "IDF-PARIS", "paris@exemple.fr")
    _, admin = staff(identity_uow, hasher, now, "admin", None, "admin@exemple.fr")
    by_lille = invite(identity_uow, lille, now)["code"]
    by_admin = invite(identity_uow, admin, now, agency_code="HDF-LILLE")["code"]

    with pytest.raises(NotFound):  # another agency's: not even visible
        handlers.revoke_invitation(identity_uow, paris, by_lille, now)
    with pytest.raises(NotFound):
        handlers.revoke_invitation(identity_uow, lille, "inconnue", now)
    with pytest.raises(Forbidden):  # the admin's, though for Lille: admins only
        handlers.revoke_invitation(identity_uow, lille, by_admin, now)
    handlers.revoke_invitation(identity_uow, colleague, by_lille, now)  # an advisor of the creator's agency
    handlers.revoke_invitation(identity_uow, admin, by_admin, now)
    assert all(identity_uow.invitations.rows[c].revoked_at == now for c in (by_lille, by_admin))


# ---------------------------------------------------------------- passwords and links

from services.identity.settings import IdentitySettings  # noqa: E402
from shared.errors import BadRequest  # noqa: E402
from shared.mail import DeliveryFailed  # noqa: E402
from tests.unit.fakes import FakeSmtpTransport  # noqa: E402

NEW_PASSWORD = "une toute nouvelle phrase secrète"
CONFIG = IdentitySettings(password_reset_url="https://pilote.example.fr/mot-de-passe/nouveau",
                          email_link_url="https://pilote.example.fr/connexion/lien",
                          email_retry_base_seconds=30, email_max_attempts=3, email_lease_seconds=120)


def link_token(email) -> str:
    import re

    return re.search(r"token=([A-Za-z0-9_-]+)", email.text_body).group(1)


def test_changing_the_password_ends_the_other_logins_and_sends_an_e_mail(
        identity_uow, hasher, common, tokens, public_key_pem, now):
    user = add_user(identity_uow, hasher, now)
    here = sign_in(identity_uow, hasher, tokens, now, user)
    elsewhere = sign_in(identity_uow, hasher, tokens, now, user)
    caller = as_caller(user, sid_of(here, public_key_pem))

    handlers.change_password(identity_uow, caller, {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                             hasher, common, tokens, now, CONFIG)

    assert hasher.verify(user.password_hash, NEW_PASSWORD)
    assert [e.session_id for e in identity_uow.published_of(AccessRevoked)] == [sid_of(elsewhere, public_key_pem)]
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": elsewhere["refresh_token"]}, tokens, now)
    assert handlers.refresh(identity_uow, {"refresh_token": here["refresh_token"]}, tokens, now)
    [email] = identity_uow.emails.rows
    assert (email.kind, email.to_address, email.subject) == ("password_changed", user.email,
                                                             "Votre mot de passe a été changé")
    assert "Bonjour Camille" in email.text_body


def test_a_wrong_current_password_is_403_and_a_weak_new_one_422(identity_uow, hasher, common, tokens, now):
    user = add_user(identity_uow, hasher, now)
    with pytest.raises(Forbidden):
        handlers.change_password(identity_uow, as_caller(user), {"current_password": "pas le bon mot de passe",
                                 "new_password": NEW_PASSWORD}, hasher, common, tokens, now, CONFIG)
    with pytest.raises(ValidationFailed) as weak:
        handlers.change_password(identity_uow, as_caller(user), {"current_password": PASSWORD,
                                 "new_password": "court"}, hasher, common, tokens, now, CONFIG)
    assert weak.value.errors[0]["loc"] == ["body", "new_password"]
    assert hasher.verify(user.password_hash, PASSWORD) and identity_uow.emails.rows == []


def test_a_reset_link_is_e_mailed_to_members_only_and_its_token_stored_hashed(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    assert handlers.request_password_reset(identity_uow, {"email": "Camille@Exemple.fr"}, now, CONFIG)
    assert not handlers.request_password_reset(identity_uow, {"email": "personne@exemple.fr"}, now, CONFIG)
    assert not handlers.request_password_reset(identity_uow, {"email": "pas une adresse"}, now, CONFIG)
    [email] = identity_uow.emails.rows
    token = link_token(email)
    assert f"https://pilote.example.fr/mot-de-passe/nouveau?token={token}" in email.text_body
    assert email.expires_at == now + timedelta(hours=1) and email.user_id == user.id
    [stored] = identity_uow.auth_tokens.rows.values()
    assert token not in stored.token_hash and stored.token_hash == hash_refresh_token(token)


def test_e_mails_greet_a_member_by_the_name_they_typed_while_others_wait_for_its_screening(identity_uow, hasher, now):
    # The typed name is theirs: only others must wait for moderation (issue 13).
    user = add_user(identity_uow, hasher, now)
    user.display_name, user.pending_display_name = "Nouveau membre", "Camille Martin"
    assert handlers.request_password_reset(identity_uow, {"email": user.email}, now, CONFIG)
    [email] = identity_uow.emails.rows
    assert "Bonjour Camille Martin," in email.text_body and "Nouveau membre" not in email.text_body


def test_a_reset_link_works_once_within_the_hour_and_ends_every_login(identity_uow, hasher, common, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = sign_in(identity_uow, hasher, tokens, now, user)
    handlers.request_password_reset(identity_uow, {"email": user.email}, now, CONFIG)
    token = link_token(identity_uow.emails.rows[0])
    confirm = {"token": token, "new_password": NEW_PASSWORD}

    with pytest.raises(ValidationFailed):  # too weak: the link still works afterwards
        handlers.confirm_password_reset(identity_uow, {**confirm, "new_password": "court"}, hasher, common, tokens,
                                        now, CONFIG)
    with pytest.raises(BadRequest):  # past the hour
        handlers.confirm_password_reset(identity_uow, confirm, hasher, common, tokens, now + timedelta(hours=1),
                                        CONFIG)
    handlers.confirm_password_reset(identity_uow, confirm, hasher, common, tokens, now + timedelta(minutes=5), CONFIG)

    assert hasher.verify(user.password_hash, NEW_PASSWORD)
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)
    assert identity_uow.published_of(AccessRevoked)
    assert identity_uow.emails.rows[-1].kind == "password_changed"
    for again in (confirm, {"token": "inconnu", "new_password": NEW_PASSWORD}):
        with pytest.raises(BadRequest):
            handlers.confirm_password_reset(identity_uow, again, hasher, common, tokens, now, CONFIG)


def test_a_sign_in_link_gives_a_token_pair_once_within_fifteen_minutes(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    handlers.request_email_link(identity_uow, {"email": user.email}, now, CONFIG)
    [email] = identity_uow.emails.rows
    assert email.kind == "email_link" and "https://pilote.example.fr/connexion/lien?token=" in email.text_body
    token = link_token(email)
    with pytest.raises(BadRequest):
        handlers.confirm_email_link(identity_uow, {"token": token}, tokens, now + timedelta(minutes=15))
    pair = handlers.confirm_email_link(identity_uow, {"token": token}, tokens, now + timedelta(minutes=14), "Firefox")
    assert pair["token_type"] == "bearer" and pair["refresh_token"]
    with pytest.raises(BadRequest):
        handlers.confirm_email_link(identity_uow, {"token": token}, tokens, now)
    # A reset token is no sign-in token.
    handlers.request_password_reset(identity_uow, {"email": user.email}, now, CONFIG)
    with pytest.raises(BadRequest):
        handlers.confirm_email_link(identity_uow, {"token": link_token(identity_uow.emails.rows[-1])}, tokens, now)


def test_no_sign_in_link_for_a_suspended_member(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now, status="suspended")
    assert not handlers.request_email_link(identity_uow, {"email": "camille@exemple.fr"}, now, CONFIG)
    assert identity_uow.emails.rows == []


# ---------------------------------------------------------------- the sender

def queued(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.request_password_reset(identity_uow, {"email": user.email}, now, CONFIG)
    return identity_uow.emails.rows[0]


def test_a_sent_e_mail_keeps_no_body_so_no_token(identity_uow, hasher, now):
    email, transport = queued(identity_uow, hasher, now), FakeSmtpTransport()
    assert handlers.send_next_email(identity_uow, transport, now, CONFIG) == "sent"
    [message] = transport.sent
    assert "?token=" in message.get_body(("plain",)).get_content()
    assert (email.status, email.text_body, email.html_body, email.attempts) == ("sent", "", "", 1)
    assert handlers.send_next_email(identity_uow, transport, now, CONFIG) is None


def test_a_temporary_refusal_is_retried_with_back_off_then_given_up(identity_uow, hasher, now):
    email = queued(identity_uow, hasher, now)
    transport = FakeSmtpTransport([DeliveryFailed("451 occupé")] * 3)
    assert handlers.send_next_email(identity_uow, transport, now, CONFIG) == "retry"
    assert email.next_attempt_at == now + timedelta(seconds=30) and email.last_error == "451 occupé"
    assert handlers.send_next_email(identity_uow, transport, now, CONFIG) is None  # not due yet
    assert handlers.send_next_email(identity_uow, transport, now + timedelta(seconds=30), CONFIG) == "retry"
    assert email.next_attempt_at == now + timedelta(seconds=90)
    assert handlers.send_next_email(identity_uow, transport, now + timedelta(seconds=90), CONFIG) == "failed"
    assert (email.status, email.text_body) == ("failed", "")


def test_while_one_sender_talks_to_the_server_the_e_mail_is_leased(identity_uow, hasher, now):
    email = queued(identity_uow, hasher, now)

    class Stalled:
        def send(self, message):
            # Another replica looks meanwhile: the claim is committed, the lease holds.
            assert identity_uow.commits >= 1 and email.next_attempt_at == now + timedelta(seconds=120)
            assert identity_uow.emails.claim_next(now + timedelta(seconds=119)) is None
            raise OSError("connection reset")

    assert handlers.send_next_email(identity_uow, Stalled(), now, CONFIG) == "retry"


def test_a_link_e_mail_not_sent_before_its_link_expires_is_dropped(identity_uow, hasher, now):
    email = queued(identity_uow, hasher, now)
    transport = FakeSmtpTransport()
    assert handlers.send_next_email(identity_uow, transport, now + timedelta(hours=1), CONFIG) == "expired"
    assert transport.sent == [] and (email.status, email.text_body) == ("expired", "")


# ---------------------------------------------------------------- retention

from shared.contracts.identity import UserErasedV2  # noqa: E402

RETENTION = IdentitySettings(inactivity_warning_days=700, inactivity_erasure_days=30, retention_batch_size=2)


def idle(uow, hasher, now, email, days):
    user = add_user(uow, hasher, now, email=email)
    user.last_active_at = now - timedelta(days=days)
    return user


def test_an_account_idle_for_23_months_is_warned_once_by_e_mail(identity_uow, hasher, now):
    idle_one = idle(identity_uow, hasher, now, "idle@exemple.fr", 701)
    idle(identity_uow, hasher, now, "recent@exemple.fr", 699)

    assert handlers.warn_inactive(identity_uow, now, RETENTION) == 1
    assert handlers.warn_inactive(identity_uow, now + timedelta(hours=1), RETENTION) == 0
    [email] = identity_uow.emails.rows
    assert (email.to_address, email.kind, idle_one.inactivity_warned_at) == ("idle@exemple.fr", "inactivity_warning", now)
    erase_on = now + timedelta(days=30)
    assert emails_module.french_date(erase_on) in email.text_body and "supprimé" in email.text_body


def test_without_a_sign_in_in_the_next_30_days_it_is_erased_as_by_delete_me(identity_uow, hasher, tokens, now):
    user = idle(identity_uow, hasher, now, "idle@exemple.fr", 701)
    handlers.warn_inactive(identity_uow, now, RETENTION)
    assert handlers.erase_inactive(identity_uow, now + timedelta(days=29), RETENTION) == 0
    assert handlers.erase_inactive(identity_uow, now + timedelta(days=30, seconds=1), RETENTION) == 1
    assert user.status == "erased" and user.email.endswith("@invalid") and user.display_name == "Membre supprimé"
    assert [e.user_id for e in identity_uow.published_of(UserErasedV2)] == [str(user.id)]
    assert identity_uow.emails.rows == []  # the warning went with the address


def test_signing_in_after_the_warning_keeps_the_account(identity_uow, hasher, tokens, now):
    user = idle(identity_uow, hasher, now, "idle@exemple.fr", 701)
    handlers.warn_inactive(identity_uow, now, RETENTION)
    sign_in(identity_uow, hasher, tokens, now + timedelta(days=10), user)
    assert user.inactivity_warned_at is None and user.last_active_at == now + timedelta(days=10)
    assert handlers.erase_inactive(identity_uow, now + timedelta(days=31), RETENTION) == 0
    assert user.status == "active"


def test_the_sweep_works_in_batches(identity_uow, hasher, now):
    for n in range(3):
        idle(identity_uow, hasher, now, f"idle{n}@exemple.fr", 800 - n)
    assert handlers.warn_inactive(identity_uow, now, RETENTION) == 2
    assert handlers.warn_inactive(identity_uow, now, RETENTION) == 1


def test_a_refresh_records_activity_at_most_hourly(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = sign_in(identity_uow, hasher, tokens, now, user)
    pair = handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now + timedelta(minutes=30))
    assert user.last_active_at == now
    handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now + timedelta(hours=2))
    assert user.last_active_at == now + timedelta(hours=2)

