"""mentoring rules and use cases over in-memory fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.mentoring import domain, handlers
from shared.caller import Caller
from shared.contracts.identity import UserErased
from shared.contracts.mentoring import (
    MentoringAccepted,
    MentoringDeclined,
    MentoringMessageSubmitted,
    MentoringRequested,
    MentorProfileCreated,
    MentorshipEnded,
)
from shared.contracts.moderation import TextDecided, TextScreened
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.unit.fakes import FakeMentoringUnitOfWork

NOW = datetime(2026, 1, 31, 10, 0, tzinfo=timezone.utc)
MONTHS = 6


def company() -> Caller:
    return Caller(str(uuid.uuid4()), "company", None)


def seeker() -> Caller:
    return Caller(str(uuid.uuid4()), "job_seeker", "ARA-GRENOBLE")


@pytest.fixture
def uow() -> FakeMentoringUnitOfWork:
    return FakeMentoringUnitOfWork()


def mentor(uow, capacity=2, topics=("logistique",)) -> tuple[Caller, dict]:
    who = company()
    profile = handlers.create_mentor(uow, who, {"topics": list(topics), "bio": "Dix ans en entrepôt.", "capacity": capacity}, NOW)
    return who, profile


def ask(uow, who: Caller, profile: dict, verdict: str | None = "clean", message: str = "Bonjour !") -> dict:
    """A request, its message then screened (`verdict`; None: not yet)."""
    request = handlers.request_mentoring(uow, who, {"mentor_id": profile["id"], "message": message}, NOW)
    if verdict is not None:
        screened(uow, request["id"], who, verdict)
    return request


def screened(uow, request_id: str, mentee: Caller, verdict: str) -> None:
    handlers.message_verdict(uow, TextScreened(
        target_type="mentoring_request", target_id=request_id, author_id=mentee.id, agency_code=mentee.agency_code, text_version=1, verdict=verdict,
        reasons=[], case_id=None, screened_at=NOW), NOW)
    uow.commit()


def decided(uow, request_id: str, mentee: Caller, verdict: str) -> None:
    handlers.message_verdict(uow, TextDecided(
        case_id=str(uuid.uuid4()), target_type="mentoring_request", target_id=request_id, author_id=mentee.id,
        agency_code=mentee.agency_code, text_version=1, verdict=verdict, reason="", decided_by=str(uuid.uuid4()),
        opened_at=NOW, decided_at=NOW), NOW)
    uow.commit()


# ---------------------------------------------------------------- the message waits for moderation (issue 13)


def test_the_mentor_sees_a_request_only_once_its_message_is_clean(uow):
    mentor_caller, profile = mentor(uow)
    mentee = seeker()
    request = ask(uow, mentee, profile, verdict=None, message="Bonjour, voici mon 06 12 34 56 78")
    assert request["status"] == "pending" and request["message_moderation"] == "pending"
    [submitted] = uow.published_of(MentoringMessageSubmitted)
    assert (submitted.request_id, submitted.mentee_id, submitted.text_version) == (request["id"], mentee.id, 1)
    assert uow.published_of(MentoringRequested) == []  # the mentor is not told yet
    assert handlers.list_requests(uow, mentor_caller, {})["items"] == []
    with pytest.raises(NotFound):
        handlers.accept_request(uow, mentor_caller, request["id"], NOW, MONTHS)

    screened(uow, request["id"], mentee, "held")
    assert handlers.list_requests(uow, mentor_caller, {})["items"] == []
    assert handlers.list_requests(uow, mentee, {})["items"][0]["message_moderation"] == "held"

    decided(uow, request["id"], mentee, "published")
    [seen] = handlers.list_requests(uow, mentor_caller, {})["items"]
    assert seen["message"].startswith("Bonjour") and seen["message_moderation"] is None
    [told] = uow.published_of(MentoringRequested)
    assert told.request_id == request["id"] and told.mentor_user_id == mentor_caller.id
    decided(uow, request["id"], mentee, "published")  # redelivered: told once
    assert len(uow.published_of(MentoringRequested)) == 1


def test_a_refused_message_cancels_the_request_and_drops_the_text(uow):
    mentor_caller, profile = mentor(uow)
    mentee = seeker()
    request = ask(uow, mentee, profile, verdict="held", message="Écrivez-moi : nour@exemple.fr")
    decided(uow, request["id"], mentee, "refused")
    [mine] = handlers.list_requests(uow, mentee, {})["items"]
    assert (mine["status"], mine["message_moderation"], mine["message"]) == ("cancelled", "refused", "")
    assert handlers.list_requests(uow, mentor_caller, {})["items"] == []
    assert uow.published_of(MentoringRequested) == []
    assert ask(uow, mentee, profile)["status"] == "pending"  # a new request is possible


def test_message_rules():
    assert domain.mentor_sees(None) and not domain.mentor_sees("pending") and not domain.mentor_sees("held")
    assert domain.verdict_applies("pending", "held", 1) and not domain.verdict_applies("cancelled", "pending", 1)
    assert not domain.verdict_applies("pending", None, 1) and not domain.verdict_applies("pending", "pending", 2)
    assert domain.message_after_verdict("clean") is None and domain.message_after_verdict("refused") == "refused"


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, 10, tzinfo=timezone.utc), 6, datetime(2026, 7, 31, 10, tzinfo=timezone.utc)),
        (datetime(2026, 8, 31, 10, tzinfo=timezone.utc), 6, datetime(2027, 2, 28, 10, tzinfo=timezone.utc)),
        (datetime(2026, 12, 15, 10, tzinfo=timezone.utc), 1, datetime(2027, 1, 15, 10, tzinfo=timezone.utc)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, end):
    assert domain.add_months(start, months) == end


def test_only_the_two_parties_see_a_request():
    assert domain.party_of("m", "s", Caller("m", "company", None)) == "mentor"
    assert domain.party_of("m", "s", Caller("s", "job_seeker", "X")) == "mentee"
    with pytest.raises(NotFound):
        domain.party_of("m", "s", Caller("x", "admin", None))


def test_capacity_counts_active_mentorships():
    domain.check_has_capacity(1, 2)
    with pytest.raises(Conflict):
        domain.check_has_capacity(2, 2)


# ---------------------------------------------------------------- mentor profiles


def test_a_company_member_has_one_mentor_profile(uow):
    who, profile = mentor(uow)
    assert profile["seats_left"] == 2 and profile["topics"] == ["logistique"]
    (created,) = uow.published_of(MentorProfileCreated)
    assert created.mentor_id == profile["id"] and created.user_id == who.id
    with pytest.raises(Conflict):
        handlers.create_mentor(uow, who, {"topics": ["btp"], "bio": "Encore", "capacity": 1}, NOW)
    with pytest.raises(Forbidden):
        handlers.create_mentor(uow, seeker(), {"topics": ["btp"], "bio": "Moi", "capacity": 1}, NOW)
    with pytest.raises(ValidationFailed):
        handlers.create_mentor(uow, company(), {"topics": ["btp"], "bio": "Moi", "capacity": 0}, NOW)


def test_mentors_are_listed_by_topic(uow):
    _, logistics = mentor(uow, topics=("logistique",))
    _, building = mentor(uow, topics=("btp",))
    listed = handlers.list_mentors(uow, seeker(), {"topic": "btp"})
    assert [m["id"] for m in listed["items"]] == [building["id"]]
    page = handlers.list_mentors(uow, seeker(), {"limit": 1})
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = handlers.list_mentors(uow, seeker(), {"limit": 1, "cursor": page["next_cursor"]})
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {logistics["id"], building["id"]}


# ---------------------------------------------------------------- requests


def test_a_job_seeker_asks_once_at_a_time(uow):
    _, profile = mentor(uow)
    who = seeker()
    request = ask(uow, who, profile)
    assert request["status"] == "pending" and request["my_role"] == "mentee"
    (requested,) = uow.published_of(MentoringRequested)
    assert requested.mentee_id == who.id and requested.agency_code == "ARA-GRENOBLE"
    with pytest.raises(Conflict):
        ask(uow, who, profile)
    with pytest.raises(Forbidden):
        ask(uow, company(), profile)
    with pytest.raises(NotFound):
        handlers.request_mentoring(uow, who, {"mentor_id": str(uuid.uuid4()), "message": "Bonjour"}, NOW)


def test_only_the_mentor_accepts_and_the_match_lasts_the_configured_months(uow):
    mentor_caller, profile = mentor(uow)
    who = seeker()
    request = ask(uow, who, profile)
    with pytest.raises(NotFound):
        handlers.accept_request(uow, company(), request["id"], NOW, MONTHS)
    with pytest.raises(Forbidden):
        handlers.accept_request(uow, who, request["id"], NOW, MONTHS)

    accepted = handlers.accept_request(uow, mentor_caller, request["id"], NOW, MONTHS)

    assert accepted["status"] == "active"
    assert accepted["ends_at"] == datetime(2026, 7, 31, 10, tzinfo=timezone.utc).isoformat()
    (match,) = uow.published_of(MentoringAccepted)
    assert match.mentee_id == who.id and match.requested_at == NOW
    assert uuid.UUID(profile["id"]) in uow.mentors.locked
    with pytest.raises(Conflict):
        handlers.decline_request(uow, mentor_caller, request["id"], NOW)


def test_accept_is_refused_when_the_capacity_is_full(uow):
    mentor_caller, profile = mentor(uow, capacity=1)
    first, second = ask(uow, seeker(), profile), ask(uow, seeker(), profile)
    handlers.accept_request(uow, mentor_caller, first["id"], NOW, MONTHS)
    with pytest.raises(Conflict):
        handlers.accept_request(uow, mentor_caller, second["id"], NOW, MONTHS)
    assert len(uow.published_of(MentoringAccepted)) == 1


def test_decline(uow):
    mentor_caller, profile = mentor(uow)
    who = seeker()
    request = ask(uow, who, profile)
    assert handlers.decline_request(uow, mentor_caller, request["id"], NOW)["status"] == "declined"
    (declined,) = uow.published_of(MentoringDeclined)
    assert declined.mentee_id == who.id
    ask(uow, who, profile)  # a declined request no longer blocks a new one


def test_either_side_ends_early_and_frees_the_seat(uow):
    mentor_caller, profile = mentor(uow, capacity=1)
    first_seeker = seeker()
    first, second = ask(uow, first_seeker, profile), ask(uow, seeker(), profile)
    handlers.accept_request(uow, mentor_caller, first["id"], NOW, MONTHS)
    with pytest.raises(Conflict):
        handlers.end_mentorship(uow, mentor_caller, second["id"], {}, NOW)  # still pending
    with pytest.raises(NotFound):
        handlers.end_mentorship(uow, seeker(), first["id"], {}, NOW)

    ended = handlers.end_mentorship(uow, first_seeker, first["id"], {"reason": "Emploi trouvé"}, NOW)

    assert ended["status"] == "ended" and ended["end_reason"] == "Emploi trouvé"
    (fact,) = uow.published_of(MentorshipEnded)
    assert fact.early is True and fact.ended_by == first_seeker.id
    assert handlers.accept_request(uow, mentor_caller, second["id"], NOW, MONTHS)["status"] == "active"


def test_due_mentorships_complete_once(uow):
    mentor_caller, profile = mentor(uow)
    request = ask(uow, seeker(), profile)
    handlers.accept_request(uow, mentor_caller, request["id"], NOW, MONTHS)
    assert handlers.complete_due_mentorships(uow, NOW + timedelta(days=100), 50) == 0
    assert handlers.complete_due_mentorships(uow, NOW + timedelta(days=182), 50) == 1
    assert handlers.complete_due_mentorships(uow, NOW + timedelta(days=183), 50) == 0
    (fact,) = uow.published_of(MentorshipEnded)
    assert fact.early is False and fact.ended_by is None
    listed = handlers.list_requests(uow, mentor_caller, {"status": "completed"})
    assert [r["id"] for r in listed["items"]] == [request["id"]]


def test_requests_are_listed_for_each_side(uow):
    mentor_caller, profile = mentor(uow)
    who = seeker()
    request = ask(uow, who, profile)
    assert [r["my_role"] for r in handlers.list_requests(uow, mentor_caller, {})["items"]] == ["mentor"]
    assert [r["id"] for r in handlers.list_requests(uow, who, {"role": "mentee"})["items"]] == [request["id"]]
    assert handlers.list_requests(uow, who, {"role": "mentor"})["items"] == []
    assert handlers.list_requests(uow, seeker(), {})["items"] == []


# ---------------------------------------------------------------- GDPR


def test_export_and_erasure_of_a_mentee(uow):
    mentor_caller, profile = mentor(uow)
    who = seeker()
    uow.members.add(uuid.UUID(who.id), "Nadia", "job_seeker", "ARA-GRENOBLE")
    request = ask(uow, who, profile)
    handlers.accept_request(uow, mentor_caller, request["id"], NOW, MONTHS)
    exported = handlers.export_user_data(uow, who)
    assert exported["member"]["display_name"] == "Nadia"
    assert [r["message"] for r in exported["requests_as_mentee"]] == ["Bonjour !"]

    handlers.erase_member(uow, UserErased(user_id=who.id, erased_at=NOW), NOW)
    uow.commit()

    (view,) = handlers.list_requests(uow, mentor_caller, {})["items"]
    assert view["status"] == "ended" and view["message"] == ""
    assert view["mentee"] == {"id": None, "display_name": "Membre supprimé"}
    (fact,) = uow.published_of(MentorshipEnded)
    assert fact.early is True and fact.mentee_id == who.id
    assert handlers.export_user_data(uow, who) == {
        "member": None, "mentor_profile": None, "requests_as_mentee": [], "requests_as_mentor": [],
    }


def test_erasure_of_a_mentor_withdraws_the_profile(uow):
    mentor_caller, profile = mentor(uow)
    pending = ask(uow, seeker(), profile)
    handlers.erase_member(uow, UserErased(user_id=mentor_caller.id, erased_at=NOW), NOW)
    uow.commit()
    assert handlers.list_mentors(uow, seeker(), {})["items"] == []
    stored = uow.mentors.get(uuid.UUID(profile["id"]))
    assert stored.user_id is None and stored.bio == "" and stored.status == "withdrawn"
    assert uow.requests.get(uuid.UUID(pending["id"])).status == "cancelled"
