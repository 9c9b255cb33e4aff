"""Caller: what the forwarded identity may do."""
import pytest

from shared.caller import Caller
from shared.errors import Forbidden, Unauthorized

ADVISOR = Caller("a1", "advisor", "HDF-LILLE")
ADMIN = Caller("ad", "admin", None)
SEEKER = Caller("s1", "job_seeker", "HDF-LILLE")


def test_from_context_reads_the_forwarded_headers():
    c = Caller.from_context({"caller_id": "u1", "caller_role": "advisor", "caller_agency": "IDF-PARIS"})
    assert c == Caller("u1", "advisor", "IDF-PARIS")


def test_from_context_with_empty_values_is_anonymous():
    assert not Caller.from_context({"caller_id": "", "caller_role": ""}).authenticated


def test_require_role_lets_a_listed_role_through():
    assert ADVISOR.require_role("advisor", "admin") is ADVISOR


def test_require_role_refuses_other_roles_with_forbidden():
    with pytest.raises(Forbidden):
        SEEKER.require_role("advisor", "admin")


def test_require_role_refuses_anonymous_with_unauthorized():
    with pytest.raises(Unauthorized):
        Caller.anonymous().require_role("admin")


def test_advisor_is_staff_of_own_agency_only():
    assert ADVISOR.is_staff_of("HDF-LILLE")
    assert not ADVISOR.is_staff_of("IDF-PARIS")
    assert not ADVISOR.is_staff_of(None)


def test_advisor_without_agency_is_staff_of_nothing():
    assert not Caller("a2", "advisor", None).is_staff_of(None)


def test_admin_is_staff_everywhere():
    assert ADMIN.is_staff_of("HDF-LILLE")
    assert ADMIN.is_staff_of("IDF-PARIS")
    assert ADMIN.is_staff_of(None)


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_members_are_staff_of_nothing_even_their_agency(role):
    assert not Caller("x", role, "HDF-LILLE").is_staff_of("HDF-LILLE")
