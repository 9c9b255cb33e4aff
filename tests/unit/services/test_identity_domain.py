"""identity rules: passwords, e-mails, invitations."""
from datetime import datetime, timedelta, timezone

import pytest

from services.identity import domain
from shared.caller import Caller
from shared.errors import Forbidden, Unauthorized, ValidationFailed

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
ADVISOR = Caller("a1", "advisor", "HDF-LILLE")
ADMIN = Caller("ad", "admin", None)


# ---- passwords

def test_common_password_list_contains_the_example(common):
    assert "123qweasdzxc" in common


def test_password_under_twelve_characters_is_refused(common):
    problems = domain.password_problems("Xk9#vQ2!mLp", common)  # 11 characters, not common
    assert problems == ["Le mot de passe doit contenir au moins 12 caractères."]


def test_password_of_exactly_twelve_uncommon_characters_is_accepted(common):
    assert domain.password_problems("Xk9#vQ2!mLpZ", common) == []


def test_common_password_of_twelve_characters_is_refused(common):
    assert domain.password_problems("123qweasdzxc", common) == ["Ce mot de passe est trop courant."]


def test_common_password_is_refused_whatever_its_case(common):
    assert "Ce mot de passe est trop courant." in domain.password_problems("123QWEasdZXC", common)


def test_long_uncommon_passphrase_is_accepted(common):
    assert domain.password_problems("une longue phrase de passe pour le forum", common) == []


# ---- e-mails

def test_email_is_normalised_to_lower_case():
    assert domain.normalize_email("Camille.Martin@Exemple.FR") == "camille.martin@exemple.fr"


@pytest.mark.parametrize("bad", ["pas-une-adresse", "a@b", "camille@", "@exemple.fr", "ca mille@exemple.fr", ""])
def test_invalid_email_is_a_validation_failure_on_the_field(bad):
    with pytest.raises(ValidationFailed) as exc:
        domain.normalize_email(bad)
    assert exc.value.errors == [{"loc": ["body", "email"], "msg": "Adresse e-mail invalide."}]


# ---- who may invite whom

def test_advisor_invites_a_job_seeker_into_own_agency_by_default():
    assert domain.invitation_agency(ADVISOR, "job_seeker", None) == "HDF-LILLE"


def test_advisor_may_name_own_agency():
    assert domain.invitation_agency(ADVISOR, "job_seeker", "HDF-LILLE") == "HDF-LILLE"


def test_advisor_may_not_invite_into_another_agency():
    with pytest.raises(Forbidden):
        domain.invitation_agency(ADVISOR, "job_seeker", "IDF-PARIS")


@pytest.mark.parametrize("role", ["advisor", "company", "admin"])
def test_advisor_may_invite_only_job_seekers(role):
    with pytest.raises(Forbidden):
        domain.invitation_agency(ADVISOR, role, "HDF-LILLE")


@pytest.mark.parametrize(
    "role, agency", [("job_seeker", "IDF-PARIS"), ("advisor", "HDF-LILLE"), ("company", None), ("admin", None)]
)
def test_admin_invites_any_role(role, agency):
    assert domain.invitation_agency(ADMIN, role, agency) == agency


@pytest.mark.parametrize("role", ["job_seeker", "advisor"])
def test_admin_must_give_an_agency_for_agency_roles(role):
    with pytest.raises(ValidationFailed) as exc:
        domain.invitation_agency(ADMIN, role, None)
    assert exc.value.errors[0]["loc"] == ["body", "agency_code"]


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_members_may_not_invite(role):
    with pytest.raises(Forbidden):
        domain.invitation_agency(Caller("u", role, "HDF-LILLE"), "job_seeker", "HDF-LILLE")


def test_anonymous_may_not_invite():
    with pytest.raises(Unauthorized):
        domain.invitation_agency(Caller.anonymous(), "job_seeker", "HDF-LILLE")


# ---- invitation usability

def test_fresh_invitation_is_usable():
    assert domain.invitation_usable(0, 1, NOW + timedelta(days=1), NOW)


def test_invitation_with_uses_exhausted_is_not_usable():
    assert not domain.invitation_usable(1, 1, NOW + timedelta(days=1), NOW)


def test_expired_invitation_is_not_usable():
    assert not domain.invitation_usable(0, 1, NOW - timedelta(seconds=1), NOW)


def test_invitation_is_not_usable_at_the_instant_it_expires():
    assert not domain.invitation_usable(0, 1, NOW, NOW)


def test_invitation_expiry_is_now_plus_days():
    assert domain.invitation_expiry(NOW, 14) == NOW + timedelta(days=14)


# ---------------------------------------------------------------- profile screening (issue 13)

def test_a_profile_submission_is_what_changes_from_the_last_submitted_texts():
    public, nothing_pending = ("Camille", "Cariste"), (None, None)
    assert domain.profile_submission(public, nothing_pending, {"bio": "Soudeuse"}) == ("Camille", "Soudeuse")
    assert domain.profile_submission(public, nothing_pending, {"display_name": "Camille"}) is None
    assert domain.profile_submission(public, nothing_pending, {"topics": ["industrie"]}) is None
    # While a text waits, the next change builds on it, not on the public one.
    assert domain.profile_submission(public, ("Cam", "Soudeuse"), {"bio": "Soudeuse TIG"}) == ("Cam", "Soudeuse TIG")
    assert domain.profile_submission(public, ("Cam", "Soudeuse"), {"display_name": "Cam"}) is None


def test_only_a_verdict_on_the_latest_waiting_submission_counts():
    assert domain.verdict_applies(2, 2, "pending") and domain.verdict_applies(2, 2, "held")
    assert not domain.verdict_applies(1, 2, "pending")  # about a replaced text
    assert not domain.verdict_applies(2, 2, None) and not domain.verdict_applies(2, 2, "refused")  # already settled


def test_a_verdict_gives_the_members_moderation_status():
    assert domain.profile_after_verdict("clean") is None and domain.profile_after_verdict("published") is None
    assert domain.profile_after_verdict("held") == "held" and domain.profile_after_verdict("refused") == "refused"
