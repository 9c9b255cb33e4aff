"""identity use cases over in-memory fakes."""
import uuid
from datetime import timedelta

import jwt
import pytest

from services.identity import domain, handlers
from services.identity.models import Agency, Invitation, User
from services.identity.tokens import hash_refresh_token
from shared.caller import Caller
from shared.contracts.identity import AgencyCreated, ProfileSubmitted, UserRegisteredV2
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from tests.unit.fakes import TOKEN_AUDIENCE as AUDIENCE, TOKEN_ISSUER as ISSUER, FakeHasher

PASSWORD = "une longue phrase de passe"
ADMIN = Caller(str(uuid.uuid4()), "admin", None)


def add_invitation(uow, now, code="INV-1", role="job_seeker", agency="HDF-LILLE", uses=0, max_uses=1,
                   expires_in=timedelta(days=14), email=None) -> Invitation:
    inv = Invitation(code=code, role=role, agency_code=agency, organization=None, email=email,
                     max_uses=max_uses, uses=uses, expires_at=now + expires_in, created_by=None)
    uow.invitations.add(inv)
    return inv


def add_user(uow, hasher, now, email="camille@exemple.fr", password=PASSWORD, role="job_seeker",
             agency="HDF-LILLE", status="active") -> User:
    user = User(id=uuid.uuid4(), email=email, password_hash=hasher.hash(password), display_name="Camille",
                role=role, agency_code=agency, organization=None, bio="Cariste", topics=["logistique"],
                status=status, created_at=now, version=1)
    uow.users.add(user)
    return user


def registration(**overrides) -> dict:
    return {"invitation_code": "INV-1", "email": "Camille@Exemple.fr", "password": PASSWORD,
            "display_name": "Camille", **overrides}


def decode(token, public_key_pem):
    return jwt.decode(token, public_key_pem, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)


# ---------------------------------------------------------------- register

def test_register_takes_role_and_agency_from_the_invitation(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now, role="advisor", agency="IDF-PARIS")

    out = handlers.register(identity_uow, registration(), hasher, common, now)

    assert out["role"] == "advisor" and out["agency_code"] == "IDF-PARIS"
    assert out["email"] == "camille@exemple.fr"
    user = identity_uow.users.get(uuid.UUID(out["id"]))
    assert (user.role, user.agency_code) == ("advisor", "IDF-PARIS")
    assert user.password_hash != PASSWORD and hasher.verify(user.password_hash, PASSWORD)


def test_register_uses_up_the_invitation(identity_uow, hasher, common, now):
    inv = add_invitation(identity_uow, now)
    handlers.register(identity_uow, registration(), hasher, common, now)
    assert inv.uses == 1


def test_register_records_user_registered_and_commits(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)

    out = handlers.register(identity_uow, registration(), hasher, common, now)

    assert identity_uow.committed
    # Others see a neutral name until moderation screened the typed one (issue 13).
    assert identity_uow.published == [
        UserRegisteredV2(user_id=out["id"], email="camille@exemple.fr", display_name=domain.UNSCREENED_DISPLAY_NAME,
                         role="job_seeker", agency_code="HDF-LILLE", registered_at=now, member_version=1),
        ProfileSubmitted(user_id=out["id"], agency_code="HDF-LILLE", text_version=1, display_name="Camille", bio="",
                         submitted_at=now),
    ]


def test_the_name_typed_at_registration_is_the_members_own_until_screened(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    out = handlers.register(identity_uow, registration(), hasher, common, now)
    assert out["display_name"] == "Camille"
    user = identity_uow.users.get(uuid.UUID(out["id"]))
    assert handlers.me_view(user)["display_name"] == "Camille"
    assert handlers.me_view(user)["profile_moderation"] == domain.PROFILE_PENDING
    assert handlers.public_view(user)["display_name"] == domain.UNSCREENED_DISPLAY_NAME


def test_register_event_carries_the_address_for_notifications_but_no_password(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    handlers.register(identity_uow, registration(), hasher, common, now)
    published = identity_uow.published[0]
    assert published.email == "camille@exemple.fr"
    assert registration()["password"] not in published.model_dump_json()
    assert "password" not in published.model_dump()


@pytest.mark.parametrize(
    "invitation",
    [
        {"uses": 1, "max_uses": 1},
        {"expires_in": timedelta(seconds=-1)},
        {"code": "SOMETHING-ELSE"},
        {"email": "dominique@exemple.fr"},
    ],
    ids=["used-up", "expired", "unknown", "bound-to-another-email"],
)
def test_register_with_unusable_invitation_is_forbidden(identity_uow, hasher, common, now, invitation):
    add_invitation(identity_uow, now, **invitation)

    with pytest.raises(Forbidden):
        handlers.register(identity_uow, registration(), hasher, common, now)
    assert identity_uow.users.rows == {}
    assert not identity_uow.all_events()


def test_register_with_invitation_bound_to_own_email_works(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now, email="camille@exemple.fr")
    assert handlers.register(identity_uow, registration(), hasher, common, now)["email"] == "camille@exemple.fr"


def test_register_with_taken_email_is_a_conflict(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    add_user(identity_uow, hasher, now, email="camille@exemple.fr")

    with pytest.raises(Conflict):
        handlers.register(identity_uow, registration(email="CAMILLE@exemple.fr"), hasher, common, now)
    assert not identity_uow.all_events()


@pytest.mark.parametrize("password", ["court", "123qweasdzxc"], ids=["short", "common"])
def test_register_with_weak_password_fails_validation_and_records_nothing(identity_uow, hasher, common, now, password):
    inv = add_invitation(identity_uow, now)

    with pytest.raises(ValidationFailed) as exc:
        handlers.register(identity_uow, registration(password=password), hasher, common, now)

    assert exc.value.errors[0]["loc"] == ["body", "password"]
    assert inv.uses == 0
    assert identity_uow.users.rows == {}
    assert not identity_uow.all_events() and not identity_uow.committed


def test_register_with_bad_email_fails_validation(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    with pytest.raises(ValidationFailed) as exc:
        handlers.register(identity_uow, registration(email="pas-une-adresse"), hasher, common, now)
    assert exc.value.errors[0]["loc"] == ["body", "email"]


def test_register_refuses_a_role_field(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    with pytest.raises(ValidationFailed) as exc:
        handlers.register(identity_uow, registration(role="admin"), hasher, common, now)
    assert exc.value.errors == [{"loc": ["body", "role"], "msg": "Champ non autorisé."}]


# ---------------------------------------------------------------- login

def test_wrong_password_and_unknown_email_get_the_same_answer(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)

    with pytest.raises(Unauthorized) as wrong_password:
        handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": "pas le bon mot"}, hasher, tokens, now)
    with pytest.raises(Unauthorized) as unknown_email:
        handlers.login(identity_uow, {"email": "personne@exemple.fr", "password": PASSWORD}, hasher, tokens, now)

    assert type(wrong_password.value) is type(unknown_email.value)
    assert wrong_password.value.args == unknown_email.value.args == (handlers.WRONG_CREDENTIALS,)


def test_unknown_email_still_verifies_a_hash_to_take_the_same_time(identity_uow, hasher, tokens, now):
    with pytest.raises(Unauthorized):
        handlers.login(identity_uow, {"email": "personne@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    assert hasher.verified == [(hasher.dummy_hash, PASSWORD)]


def test_suspended_or_erased_user_cannot_log_in_and_gets_the_same_answer(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now, status="erased")
    with pytest.raises(Unauthorized) as exc:
        handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    assert exc.value.args == (handlers.WRONG_CREDENTIALS,)


def test_failed_login_issues_no_refresh_token(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    with pytest.raises(Unauthorized):
        handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": "pas le bon mot"}, hasher, tokens, now)
    assert identity_uow.refresh_tokens.rows == {}


def test_login_returns_a_bearer_pair(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)

    pair = handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)

    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert hash_refresh_token(pair["refresh_token"]) in identity_uow.refresh_tokens.rows
    assert identity_uow.committed


def test_login_email_is_case_insensitive(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    assert handlers.login(identity_uow, {"email": " Camille@EXEMPLE.fr ", "password": PASSWORD}, hasher, tokens, now)


def test_access_token_verifies_with_the_public_key_and_carries_the_claims(
    identity_uow, hasher, tokens, now, public_key_pem
):
    user = add_user(identity_uow, hasher, now, role="advisor", agency="HDF-LILLE")

    pair = handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    claims = decode(pair["access_token"], public_key_pem)

    assert claims["sub"] == str(user.id)
    assert claims["role"] == "advisor"
    assert claims["agency"] == "HDF-LILLE"
    assert claims["aud"] == AUDIENCE and claims["iss"] == ISSUER
    assert claims["exp"] == int((now + timedelta(minutes=15)).timestamp())
    assert jwt.get_unverified_header(pair["access_token"])["alg"] == "EdDSA"


def test_access_token_does_not_verify_with_another_key(identity_uow, hasher, tokens, now):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    add_user(identity_uow, hasher, now)
    pair = handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(pair["access_token"], other)


def test_login_rehashes_an_outdated_hash(identity_uow, tokens, now):
    hasher = FakeHasher(rehash=True)
    user = add_user(identity_uow, hasher, now)
    user.password_hash = "outdated"
    hasher.verify = lambda h, p: h == "outdated" and p == PASSWORD

    handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)

    assert user.password_hash == hasher.hash(PASSWORD)


# ---------------------------------------------------------------- refresh

def login_pair(uow, hasher, tokens, now):
    add_user(uow, hasher, now)
    return handlers.login(uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)


def test_refresh_rotates_the_refresh_token(identity_uow, hasher, tokens, now, public_key_pem):
    first = login_pair(identity_uow, hasher, tokens, now)

    second = handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now)

    assert second["refresh_token"] != first["refresh_token"]
    old = identity_uow.refresh_tokens.rows[hash_refresh_token(first["refresh_token"])]
    new = identity_uow.refresh_tokens.rows[hash_refresh_token(second["refresh_token"])]
    assert old.used_at == now
    assert new.family_id == old.family_id and new.used_at is None
    assert decode(second["access_token"], public_key_pem)["sid"] == str(old.family_id)


def test_replaying_a_used_refresh_token_revokes_the_whole_login(identity_uow, hasher, tokens, now):
    first = login_pair(identity_uow, hasher, tokens, now)
    second = handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now)
    later = now + tokens.refresh_reuse_grace + timedelta(seconds=1)

    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, later)

    assert all(t.revoked_at == later for t in identity_uow.refresh_tokens.rows.values())
    assert identity_uow.commits >= 3  # the revocation is committed even though the call fails
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": second["refresh_token"]}, tokens, later)


def test_replay_revokes_only_that_login(identity_uow, hasher, tokens, now):
    first = login_pair(identity_uow, hasher, tokens, now)
    other = handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now)
    later = now + tokens.refresh_reuse_grace + timedelta(seconds=1)

    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, later)

    assert handlers.refresh(identity_uow, {"refresh_token": other["refresh_token"]}, tokens, later)


def test_a_refresh_retried_within_the_grace_window_gets_a_new_pair_of_the_same_login(
    identity_uow, hasher, tokens, now, public_key_pem
):
    first = login_pair(identity_uow, hasher, tokens, now)
    lost = handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now)  # answer lost
    retried = handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now)

    assert retried["refresh_token"] not in (first["refresh_token"], lost["refresh_token"])
    assert not any(t.revoked_at for t in identity_uow.refresh_tokens.rows.values())
    old = identity_uow.refresh_tokens.rows[hash_refresh_token(first["refresh_token"])]
    assert old.used_at == now  # the window is counted from the first use: retries do not stretch it
    assert decode(retried["access_token"], public_key_pem)["sid"] == str(old.family_id)
    assert handlers.refresh(identity_uow, {"refresh_token": retried["refresh_token"]}, tokens, now)


def test_a_retry_is_told_from_a_replay_by_the_time_since_the_first_use(now):
    grace = timedelta(seconds=30)
    assert domain.is_retried_refresh(now, now + grace, grace)
    assert not domain.is_retried_refresh(now, now + grace + timedelta(seconds=1), grace)


def test_unknown_refresh_token_is_unauthorized(identity_uow, tokens, now):
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": "n-importe-quoi"}, tokens, now)


def test_expired_refresh_token_is_unauthorized(identity_uow, hasher, tokens, now):
    first = login_pair(identity_uow, hasher, tokens, now)
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": first["refresh_token"]}, tokens, now + timedelta(days=31))


def test_logout_revokes_the_login(identity_uow, hasher, tokens, now):
    pair = login_pair(identity_uow, hasher, tokens, now)
    user = next(iter(identity_uow.users.rows.values()))

    handlers.logout(identity_uow, Caller(str(user.id), user.role, user.agency_code),
                    {"refresh_token": pair["refresh_token"]}, tokens, now)

    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)


def test_logout_with_someone_elses_token_revokes_nothing(identity_uow, hasher, tokens, now):
    pair = login_pair(identity_uow, hasher, tokens, now)
    handlers.logout(identity_uow, Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE"),
                    {"refresh_token": pair["refresh_token"]}, tokens, now)
    assert handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)


# ---------------------------------------------------------------- profiles

def test_get_user_never_returns_the_email(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)

    view = handlers.get_user(identity_uow, Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE"), str(user.id))

    assert view == {"id": str(user.id), "display_name": "Camille", "role": "job_seeker",
                    "agency_code": "HDF-LILLE", "bio": "Cariste"}
    assert "camille@exemple.fr" not in repr(view)


def test_get_user_needs_a_caller(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    with pytest.raises(Unauthorized):
        handlers.get_user(identity_uow, Caller.anonymous(), str(user.id))


@pytest.mark.parametrize("user_id", ["pas-un-uuid", str(uuid.uuid4())])
def test_get_user_unknown_or_malformed_id_is_not_found(identity_uow, user_id):
    with pytest.raises(NotFound):
        handlers.get_user(identity_uow, ADMIN, user_id)


def test_get_user_of_erased_account_is_not_found(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now, status="erased")
    with pytest.raises(NotFound):
        handlers.get_user(identity_uow, ADMIN, str(user.id))


def test_get_me_returns_own_email(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    me = handlers.get_me(identity_uow, Caller(str(user.id), "job_seeker", "HDF-LILLE"))
    assert me["email"] == "camille@exemple.fr" and me["topics"] == ["logistique"]


# ---------------------------------------------------------------- agencies and invitations

AGENCY = {"code": "HDF-LILLE", "name": "Lille Centre", "region": "Hauts-de-France"}


def test_create_agency_by_admin_adds_and_commits(identity_uow, now):
    assert handlers.create_agency(identity_uow, ADMIN, AGENCY, now) == AGENCY
    assert identity_uow.agencies.get("HDF-LILLE") is not None and identity_uow.committed


@pytest.mark.parametrize("role", ["advisor", "company", "job_seeker"])
def test_create_agency_requires_admin(identity_uow, role, now):
    with pytest.raises(Forbidden):
        handlers.create_agency(identity_uow, Caller(str(uuid.uuid4()), role, "HDF-LILLE"), AGENCY, now)
    assert identity_uow.agencies.rows == {}


def test_create_agency_anonymous_is_unauthorized(identity_uow, now):
    with pytest.raises(Unauthorized):
        handlers.create_agency(identity_uow, Caller.anonymous(), AGENCY, now)


def test_create_agency_twice_is_a_conflict(identity_uow, now):
    handlers.create_agency(identity_uow, ADMIN, AGENCY, now)
    with pytest.raises(Conflict):
        handlers.create_agency(identity_uow, ADMIN, AGENCY, now)


def test_list_agencies(identity_uow):
    identity_uow.agencies.add(Agency(code="HDF-LILLE", name="Lille Centre", region="Hauts-de-France"))
    assert handlers.list_agencies(identity_uow) == [AGENCY]


def test_advisor_invitation_lands_in_own_agency(identity_uow, now):
    identity_uow.agencies.add(Agency(code="HDF-LILLE", name="Lille Centre", region="Hauts-de-France"))
    advisor = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")

    out = handlers.create_invitation(identity_uow, advisor, {"role": "job_seeker"}, now)

    assert out["agency_code"] == "HDF-LILLE" and out["max_uses"] == 1
    assert out["expires_at"] == (now + timedelta(days=14)).isoformat()
    assert identity_uow.invitations.get_for_update(out["code"]).created_by == uuid.UUID(advisor.id)


def test_invitation_into_unknown_agency_fails_validation(identity_uow, now):
    with pytest.raises(ValidationFailed):
        handlers.create_invitation(identity_uow, ADMIN, {"role": "job_seeker", "agency_code": "NOWHERE"}, now)


# ---------------------------------------------------------------- seed

PILOT = [AGENCY, {"code": "IDF-PARIS", "name": "Paris 11", "region": "Île-de-France"}]


def test_seed_creates_agencies_and_the_admin(identity_uow, hasher, now):
    out = handlers.seed(identity_uow, PILOT, "Admin@Exemple.fr", PASSWORD, hasher, now)

    assert out == {"agencies_added": 2, "admin_created": True}
    admin = identity_uow.users.by_email("admin@exemple.fr")
    assert admin.role == "admin" and hasher.verify(admin.password_hash, PASSWORD)
    assert [type(e) for e in identity_uow.published] == [AgencyCreated, AgencyCreated, UserRegisteredV2]


def test_seed_is_idempotent(identity_uow, hasher, now):
    handlers.seed(identity_uow, PILOT, "admin@exemple.fr", PASSWORD, hasher, now)
    users, events = dict(identity_uow.users.rows), list(identity_uow.published)

    out = handlers.seed(identity_uow, PILOT, "admin@exemple.fr", "un autre mot de passe", hasher, now)

    assert out == {"agencies_added": 0, "admin_created": False}
    assert identity_uow.users.rows == users
    assert identity_uow.published == events
    assert len(identity_uow.agencies.rows) == 2


# ---------------------------------------------------------------- bugs found

def test_login_finds_a_user_registered_with_a_decomposed_accent(identity_uow, hasher, common, tokens, now):
    import unicodedata

    typed = unicodedata.normalize("NFD", "élodie@exemple.fr")
    add_invitation(identity_uow, now)
    handlers.register(identity_uow, registration(email=typed), hasher, common, now)

    assert handlers.login(identity_uow, {"email": typed, "password": PASSWORD}, hasher, tokens, now)


def test_blank_display_name_is_refused(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now)
    with pytest.raises(ValidationFailed):
        handlers.register(identity_uow, registration(display_name="    "), hasher, common, now)


def test_a_new_agency_is_announced_with_its_region(identity_uow, now):
    from shared.contracts.identity import AgencyCreated

    handlers.create_agency(identity_uow, ADMIN, AGENCY, now)
    [event] = identity_uow.published_of(AgencyCreated)
    assert (event.code, event.region) == (AGENCY["code"], AGENCY["region"])


def test_invitations_sent_to_the_members_address_are_exported_then_erased_and_closed(identity_uow, hasher, common,
                                                                                     tokens, now):
    add_invitation(identity_uow, now, email="camille@exemple.fr", max_uses=2)
    other = add_invitation(identity_uow, now, code="INV-2", email="autre@exemple.fr")
    user = handlers.register(identity_uow, registration(), hasher, common, now)
    caller = Caller(user["id"], "job_seeker", "HDF-LILLE")
    [exported] = handlers.export_user_data(identity_uow, caller)["invitations"]
    assert exported["email"] == "camille@exemple.fr" and exported["uses"] == 1 and "code" not in exported

    handlers.erase_me(identity_uow, caller, tokens, now + timedelta(minutes=1))
    mine = identity_uow.invitations.rows["INV-1"]
    assert mine.email is None and mine.expires_at <= now + timedelta(minutes=1)  # not left open to anyone
    assert other.email == "autre@exemple.fr"
    with pytest.raises(Forbidden):  # the second use of the erased member's invitation is gone with the address
        handlers.register(identity_uow, registration(email="quelquun@exemple.fr"), hasher, common,
                          now + timedelta(minutes=2))
