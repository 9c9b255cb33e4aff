"""identity: what members manage of their account (sessions, the length of a
login, no oracle on suspended accounts), over in-memory fakes."""
import uuid
from datetime import timedelta

import jwt
import pytest

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
