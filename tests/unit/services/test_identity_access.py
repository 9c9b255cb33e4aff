"""identity's access rules: brute-force limits, suspensions, revocation,
profile changes and erasure (handlers over fakes)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.identity import domain, handlers
from services.identity.models import User
from shared.caller import Caller
from shared.contracts.identity import AccessRestored, AccessRevoked, ProfileSubmitted, ProfileUpdated, UserErased
from shared.contracts.moderation import SanctionImposed, SanctionLifted, TextDecided, TextScreened
from shared.errors import NotFound, TooManyRequests, Unauthorized, ValidationFailed

PASSWORD = "une phrase de passe solide"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def add_user(uow, hasher, now, email="camille@exemple.fr", status="active", suspended_until=None) -> User:
    user = User(id=uuid.uuid4(), email=email, password_hash=hasher.hash(PASSWORD), display_name="Camille",
                role="job_seeker", agency_code="HDF-LILLE", organization=None, bio="Cariste", topics=["logistique"],
                status=status, suspended_until=suspended_until, erased_at=None, created_at=now, version=1)
    uow.users.add(user)
    return user


def caller_of(user) -> Caller:
    return Caller(str(user.id), user.role, user.agency_code)


def wrong_login(uow, hasher, tokens, now, email="camille@exemple.fr", client="203.0.113.7"):
    with pytest.raises((Unauthorized, TooManyRequests)) as err:
        handlers.login(uow, {"email": email, "password": "mauvais mot de passe"}, hasher, tokens, now, client)
    return err.value


# ------------------------------------------------------------ brute force

def test_the_eleventh_attempt_on_one_account_within_15_minutes_is_429(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    for i in range(domain.MAX_FAILURES_PER_ACCOUNT):
        assert isinstance(wrong_login(identity_uow, hasher, tokens, now + timedelta(seconds=i)), Unauthorized)
    blocked = wrong_login(identity_uow, hasher, tokens, now + timedelta(seconds=20))
    assert isinstance(blocked, TooManyRequests)
    assert 0 < blocked.retry_after_seconds <= 15 * 60
    # Even the right password waits: the attacker learns nothing.
    with pytest.raises(TooManyRequests):
        handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens,
                       now + timedelta(seconds=21), "198.51.100.1")


def test_the_account_limit_counts_unknown_addresses_too(identity_uow, hasher, tokens, now):
    for i in range(domain.MAX_FAILURES_PER_ACCOUNT):
        wrong_login(identity_uow, hasher, tokens, now, email="personne@exemple.fr")
    assert isinstance(wrong_login(identity_uow, hasher, tokens, now, email="personne@exemple.fr"), TooManyRequests)


def test_failures_older_than_the_window_do_not_count(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    for _ in range(domain.MAX_FAILURES_PER_ACCOUNT):
        wrong_login(identity_uow, hasher, tokens, now)
    later = now + domain.LOGIN_WINDOW + timedelta(seconds=1)
    assert handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, later)


def test_one_client_trying_many_accounts_is_limited_higher(identity_uow, hasher, tokens, now):
    for i in range(domain.MAX_FAILURES_PER_CLIENT):
        err = wrong_login(identity_uow, hasher, tokens, now, email=f"cible{i}@exemple.fr")
        assert isinstance(err, Unauthorized)
    assert isinstance(wrong_login(identity_uow, hasher, tokens, now, email="autre@exemple.fr"), TooManyRequests)
    # Another client is not affected.
    assert isinstance(wrong_login(identity_uow, hasher, tokens, now, email="autre@exemple.fr", client="192.0.2.9"), Unauthorized)


def test_a_success_clears_the_account_failures(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    for _ in range(domain.MAX_FAILURES_PER_ACCOUNT - 1):
        wrong_login(identity_uow, hasher, tokens, now)
    handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    assert isinstance(wrong_login(identity_uow, hasher, tokens, now), Unauthorized)


def test_retry_after_is_when_the_oldest_counted_failure_leaves_the_window(now):
    failures = [now - timedelta(minutes=14), *[now - timedelta(minutes=1)] * 9]
    assert domain.retry_after_seconds(failures, 10, now) in (60, 61)
    assert domain.retry_after_seconds(failures[1:], 10, now) is None


# ------------------------------------------------------------ suspensions

def sanction(user, type_="suspend", expires_at=None, now=None) -> SanctionImposed:
    return SanctionImposed(sanction_id=str(uuid.uuid4()), user_id=str(user.id), agency_code="HDF-LILLE", type=type_,
                           reason="Propos insultants", expires_at=expires_at, imposed_by=str(uuid.uuid4()), imposed_at=now)


def test_a_suspension_refuses_login_and_revokes_access_until_its_end(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    until = now + timedelta(hours=48)
    handlers.apply_sanction(identity_uow, sanction(user, expires_at=until, now=now), now)
    identity_uow.commit()
    [revoked] = identity_uow.published_of(AccessRevoked)
    assert (revoked.user_id, revoked.reason, revoked.until) == (str(user.id), "suspended", until)
    with pytest.raises(Unauthorized) as suspended:
        handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)
    with pytest.raises(Unauthorized) as wrong:
        handlers.login(identity_uow, {"email": user.email, "password": "pas le bon mot de passe"}, hasher, tokens, now)
    # The right password of a suspended member is answered like a wrong one: no oracle.
    assert str(suspended.value) == str(wrong.value) == handlers.WRONG_CREDENTIALS
    # Once the suspension is over, the member signs in even before the lift event.
    assert handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens,
                          until + timedelta(seconds=1))


def test_a_suspended_member_cannot_refresh(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)
    handlers.apply_sanction(identity_uow, sanction(user, now=now), now)
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)


def test_mutes_and_warnings_do_not_touch_access(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.apply_sanction(identity_uow, sanction(user, type_="mute", now=now), now)
    handlers.apply_sanction(identity_uow, sanction(user, type_="warn", now=now), now)
    identity_uow.commit()
    assert user.status == "active" and identity_uow.published == []


def test_lifting_a_suspension_restores_access(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    handlers.apply_sanction(identity_uow, sanction(user, now=now), now)
    lifted = SanctionLifted(sanction_id=str(uuid.uuid4()), user_id=str(user.id), type="suspend", lifted_at=now)
    handlers.lift_sanction(identity_uow, lifted, now)
    identity_uow.commit()
    assert identity_uow.published_of(AccessRestored)[0].user_id == str(user.id)
    assert handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)


def test_access_blocks_lists_what_gateways_must_refuse(identity_uow, hasher, tokens, now):
    suspended = add_user(identity_uow, hasher, now, email="a@exemple.fr", status="suspended",
                         suspended_until=now + timedelta(days=1))
    add_user(identity_uow, hasher, now, email="b@exemple.fr", status="suspended", suspended_until=now - timedelta(days=1))
    member = add_user(identity_uow, hasher, now, email="c@exemple.fr")
    pair = handlers.login(identity_uow, {"email": member.email, "password": PASSWORD}, hasher, tokens, now)
    handlers.logout(identity_uow, caller_of(member), {"refresh_token": pair["refresh_token"]}, tokens, now)

    blocks = handlers.access_blocks(identity_uow, tokens, now + timedelta(minutes=1))
    assert [b["user_id"] for b in blocks["users"]] == [str(suspended.id)]
    assert len(blocks["sessions"]) == 1


def test_logout_revokes_the_logins_access_tokens_at_the_gateway(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)
    handlers.logout(identity_uow, Caller.anonymous(), {"refresh_token": pair["refresh_token"]}, tokens, now)
    [revoked] = identity_uow.published_of(AccessRevoked)
    assert revoked.reason == "session_revoked" and revoked.session_id and revoked.until == now + tokens.access_ttl


# ------------------------------------------------------------ profile

def test_a_member_changes_topics_at_once_and_name_and_bio_once_moderation_finds_them_clean(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    me = handlers.update_me(identity_uow, caller_of(user), {"display_name": " Camille D. ", "bio": "Soudeuse",
                                                             "topics": ["H2913", "H2913", "industrie"]}, now)
    # The member sees what they wrote, waiting for moderation; others still see the previous texts.
    assert (me["display_name"], me["bio"], me["topics"]) == ("Camille D.", "Soudeuse", ["H2913", "industrie"])
    assert me["profile_moderation"] == "pending"
    assert (handlers.public_view(user)["display_name"], handlers.public_view(user)["bio"]) == ("Camille", "Cariste")
    [topics] = identity_uow.published_of(ProfileUpdated)
    assert topics.display_name == "Camille" and topics.topics == ["H2913", "industrie"]
    [submitted] = identity_uow.published_of(ProfileSubmitted)
    assert (submitted.display_name, submitted.bio, submitted.text_version) == ("Camille D.", "Soudeuse", 1)

    verdict(identity_uow, screened(user, 1, "clean"))
    assert handlers.public_view(user)["display_name"] == "Camille D." and handlers.public_view(user)["bio"] == "Soudeuse"
    assert handlers.me_view(user)["profile_moderation"] is None
    renamed = identity_uow.published_of(ProfileUpdated)[-1]
    assert renamed.display_name == "Camille D." and renamed.member_version == user.version


def verdict(uow, event):
    """As the chassis runs an event handler: the effect, then one commit."""
    handlers.profile_verdict(uow, event, NOW)
    uow.commit()


def screened(user, version, verdict, reasons=()):
    return TextScreened(target_type="profile", target_id=str(user.id), author_id=str(user.id), agency_code=user.agency_code, text_version=version,
                        verdict=verdict, reasons=list(reasons), case_id=None, screened_at=NOW)


def decided(user, version, verdict):
    return TextDecided(case_id=str(uuid.uuid4()), target_type="profile", target_id=str(user.id),
                       author_id=str(user.id), agency_code=user.agency_code, text_version=version, verdict=verdict,
                       reason="", decided_by=str(uuid.uuid4()), opened_at=NOW, decided_at=NOW)


def test_a_bio_held_by_screening_is_not_shown_until_a_person_approves_it(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.update_me(identity_uow, caller_of(user), {"bio": "Appelez-moi au 06 12 34 56 78"}, now)
    verdict(identity_uow, screened(user, 1, "held", ["personal_data.phone"]))
    assert handlers.public_view(user)["bio"] == "Cariste"
    assert handlers.me_view(user)["bio"].startswith("Appelez") and handlers.me_view(user)["profile_moderation"] == "held"
    assert identity_uow.published_of(ProfileUpdated) == []
    verdict(identity_uow, decided(user, 1, "published"))
    assert handlers.public_view(user)["bio"].startswith("Appelez") and user.profile_moderation is None


def test_a_refused_text_is_dropped_and_the_previous_one_stays(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.update_me(identity_uow, caller_of(user), {"display_name": "Camille 0612345678"}, now)
    verdict(identity_uow, screened(user, 1, "held"))
    verdict(identity_uow, decided(user, 1, "refused"))
    me = handlers.me_view(user)
    assert (me["display_name"], me["profile_moderation"]) == ("Camille", "refused")
    assert user.pending_display_name is None and user.pending_bio is None  # nothing of the refused text kept
    assert identity_uow.published_of(ProfileUpdated) == []


def test_a_verdict_on_a_replaced_version_or_a_redelivered_one_changes_nothing(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.update_me(identity_uow, caller_of(user), {"bio": "Premier jet 06 12 34 56 78"}, now)
    handlers.update_me(identity_uow, caller_of(user), {"bio": "Soudeuse"}, now)
    verdict(identity_uow, screened(user, 1, "clean"))  # about the replaced text
    assert handlers.public_view(user)["bio"] == "Cariste" and user.profile_moderation == "pending"
    verdict(identity_uow, screened(user, 2, "clean"))
    verdict(identity_uow, screened(user, 2, "clean"))  # redelivered
    assert handlers.public_view(user)["bio"] == "Soudeuse"
    assert len(identity_uow.published_of(ProfileUpdated)) == 1


def test_an_unchanged_name_or_bio_is_not_screened_again(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    handlers.update_me(identity_uow, caller_of(user), {"display_name": "Camille", "bio": "Cariste"}, now)
    assert identity_uow.published_of(ProfileSubmitted) == [] and user.profile_moderation is None


def test_every_change_of_a_member_takes_the_next_version_and_its_events_carry_it(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    handlers.update_me(identity_uow, caller_of(user), {"display_name": "Camille D."}, now)
    verdict(identity_uow, screened(user, 1, "clean"))
    handlers.update_me(identity_uow, caller_of(user), {"topics": ["industrie"]}, now)
    handlers.erase_me(identity_uow, caller_of(user), tokens, now)
    renames = identity_uow.published_of(ProfileUpdated)
    assert [e.member_version for e in renames] == [2, 3] and user.version == 4
    assert identity_uow.published_of(UserErased)[0].member_version == 4


@pytest.mark.parametrize("field", ["role", "agency_code", "email", "status", "id"])
def test_role_agency_email_and_any_other_field_are_refused(identity_uow, hasher, now, field):
    user = add_user(identity_uow, hasher, now)
    with pytest.raises(ValidationFailed) as err:
        handlers.update_me(identity_uow, caller_of(user), {field: "admin"}, now)
    assert err.value.errors[0]["loc"] == ["body", field]
    assert user.role == "job_seeker" and not identity_uow.committed


def test_a_profile_field_cannot_be_nulled(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    with pytest.raises(ValidationFailed):
        handlers.update_me(identity_uow, caller_of(user), {"display_name": None}, now)


# ------------------------------------------------------------ erasure

def test_erasure_removes_personal_data_and_announces_it(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)
    handlers.erase_me(identity_uow, caller_of(user), tokens, now)

    assert "camille" not in user.email and user.password_hash == "" and user.bio == "" and user.topics == []
    assert user.display_name == domain.ERASED_DISPLAY_NAME
    assert identity_uow.published_of(UserErased)[0].user_id == str(user.id)
    assert identity_uow.published_of(AccessRevoked)[0].reason == "erased"
    with pytest.raises(Unauthorized):
        handlers.login(identity_uow, {"email": "camille@exemple.fr", "password": PASSWORD}, hasher, tokens, now)
    with pytest.raises(Unauthorized):
        handlers.refresh(identity_uow, {"refresh_token": pair["refresh_token"]}, tokens, now)
    with pytest.raises(NotFound):
        handlers.get_user(identity_uow, caller_of(user), str(user.id))


def test_export_holds_the_account_but_no_secret(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    handlers.login(identity_uow, {"email": user.email, "password": PASSWORD}, hasher, tokens, now)
    export = handlers.export_user_data(identity_uow, caller_of(user))
    assert export["account"]["email"] == "camille@exemple.fr" and len(export["logins"]) == 1
    flat = str(export)
    assert user.password_hash not in flat and "token_hash" not in flat
