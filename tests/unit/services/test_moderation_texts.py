"""moderation: the other texts members see (issue 13): a profile's display
name and bio, screened by the same rules, held in a case a person decides."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.moderation import domain, handlers
from services.moderation.screening import default_screener
from shared.caller import Caller
from shared.contracts.identity import ProfileSubmitted
from shared.contracts.moderation import CaseOpened, TextDecided, TextScreened
from shared.errors import Conflict, ValidationFailed

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
ADVISOR = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")


def submitted(user_id=None, bio="Cariste depuis dix ans", name="Camille", version=1) -> ProfileSubmitted:
    return ProfileSubmitted(user_id=user_id or str(uuid.uuid4()), agency_code="HDF-LILLE", text_version=version,
                            display_name=name, bio=bio, submitted_at=NOW)


def screen(uow, event, now=NOW):
    out = handlers.screen_profile(uow, event, now, default_screener())
    uow.commit()
    return out


def test_a_clean_profile_is_clean_without_a_case(moderation_uow):
    event = submitted()
    result = screen(moderation_uow, event)
    assert result == TextScreened(target_type="profile", target_id=event.user_id, author_id=event.user_id, agency_code="HDF-LILLE",
                                  text_version=1, verdict="clean", reasons=[], case_id=None, screened_at=NOW)
    assert moderation_uow.cases.rows == []


@pytest.mark.parametrize("name, bio, reason", [
    ("Camille", "Appelez-moi au 06 12 34 56 78", "personal_data.phone"),
    ("camille.durand@exemple.fr", "Cariste", "personal_data.email"),
    ("Camille", "http://a.example http://b.example http://c.example http://d.example", "spam.links"),
])
def test_a_bio_or_name_with_personal_data_or_links_is_held_in_a_case_without_the_data(moderation_uow, name, bio, reason):
    event = submitted(name=name, bio=bio)
    result = screen(moderation_uow, event)
    [case] = moderation_uow.cases.rows
    assert (result.verdict, result.reasons, result.case_id) == ("held", [reason], str(case.id))
    assert (case.target_type, case.target_id, case.status, case.text_version) == (
        "profile", uuid.UUID(event.user_id), "open", 1)
    assert "06 12" not in case.excerpt and "durand@" not in case.excerpt
    assert moderation_uow.published_of(CaseOpened) == []  # case_opened v1 speaks of posts and comments only


def test_a_new_clean_version_closes_the_case_of_the_held_one(moderation_uow):
    user = str(uuid.uuid4())
    screen(moderation_uow, submitted(user, bio="Appelez-moi au 06 12 34 56 78"))
    result = screen(moderation_uow, submitted(user, bio="Cariste", version=2))
    [case] = moderation_uow.cases.rows
    assert result.verdict == "clean" and case.status == "closed"


def test_a_version_older_than_one_screened_is_ignored(moderation_uow):
    user = str(uuid.uuid4())
    screen(moderation_uow, submitted(user, bio="Cariste", version=2))
    assert screen(moderation_uow, submitted(user, bio="06 12 34 56 78", version=1)) is None
    assert moderation_uow.cases.rows == []


def test_a_person_approves_or_refuses_the_held_version_and_cannot_hide_it(moderation_uow):
    user = str(uuid.uuid4())
    held = screen(moderation_uow, submitted(user, bio="Appelez-moi au 06 12 34 56 78", version=3))
    with pytest.raises(ValidationFailed) as err:
        handlers.decide(moderation_uow, ADVISOR, held.case_id, {"action": "hide", "reason": "Coordonnées"}, NOW)
    assert err.value.errors[0]["loc"] == ["body", "action"]
    later = NOW + timedelta(minutes=5)
    view = handlers.decide(moderation_uow, ADVISOR, held.case_id, {"action": "reject", "reason": "Coordonnées"}, later)
    assert view["target_type"] == "profile" and view["status"] == "decided"
    [decided] = moderation_uow.published_of(TextDecided)
    assert (decided.target_id, decided.author_id, decided.text_version, decided.verdict, decided.decided_by) == (
        user, user, 3, "refused", ADVISOR.id)
    # A refused text is gone from its owner: nothing to appeal, a new version is screened instead.
    with pytest.raises(Conflict):
        handlers.file_appeal(moderation_uow, Caller(user, "job_seeker", "HDF-LILLE"),
                             {"case_id": held.case_id, "text": "C'est mon numéro pro"}, later)


def test_the_queue_shows_a_held_profile_to_its_agencys_advisors(moderation_uow):
    held = screen(moderation_uow, submitted(bio="Appelez-moi au 06 12 34 56 78"))
    [item] = handlers.queue(moderation_uow, ADVISOR, {})["items"]
    assert (item["id"], item["target_type"], item["reasons"]) == (held.case_id, "profile", ["personal_data.phone"])


def test_screening_verdicts_and_decisions_map_to_what_the_owner_does():
    assert domain.TEXT_VERDICT == {"publish": "clean", "hold": "held", "reject": "refused"}
    assert domain.text_decision("approve") == "published" and domain.text_decision("reject") == "refused"
    assert domain.is_stale(1, 2) and not domain.is_stale(2, 2) and not domain.is_stale(1, None)


def test_an_erased_members_held_profile_leaves_the_queue(moderation_uow):
    from shared.contracts.identity import UserErasedV2

    user = str(uuid.uuid4())
    screen(moderation_uow, submitted(user, bio="Appelez-moi au 06 12 34 56 78"))
    handlers.erase_user(moderation_uow, UserErasedV2(user_id=user, erased_at=NOW, member_version=3))
    [case] = moderation_uow.cases.rows
    assert case.status == "closed" and case.excerpt == domain.ERASED_EXCERPT
    assert handlers.queue(moderation_uow, ADVISOR, {})["items"] == []


def test_a_mentoring_message_is_screened_as_a_mentoring_request_of_its_mentee(moderation_uow):
    from shared.contracts.mentoring import MentoringMessageSubmitted

    mentee, request_id = str(uuid.uuid4()), str(uuid.uuid4())
    event = MentoringMessageSubmitted(request_id=request_id, mentee_id=mentee, agency_code="HDF-LILLE", text_version=1,
                                      message="Voici mon IBAN FR76 3000 6000 0112 3456 7890 189", submitted_at=NOW)
    result = handlers.screen_mentoring_message(moderation_uow, event, NOW, default_screener())
    [case] = moderation_uow.cases.rows
    assert (result.target_type, result.target_id, result.author_id, result.verdict) == (
        "mentoring_request", request_id, mentee, "held")
    assert (case.target_type, case.author_id, case.agency_code) == ("mentoring_request", uuid.UUID(mentee), "HDF-LILLE")
    assert "7890" not in case.excerpt


def test_an_events_title_description_and_location_are_screened_together(moderation_uow):
    from shared.contracts.events import CalendarEventTextsSubmitted

    organizer, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    clean = CalendarEventTextsSubmitted(calendar_event_id=event_id, organizer_id=organizer, agency_code="HDF-LILLE",
                                        text_version=1, title="Forum de l'emploi", description="Vingt recruteurs.",
                                        location="Lille Grand Palais", submitted_at=NOW)
    assert handlers.screen_event_texts(moderation_uow, clean, NOW, default_screener()).verdict == "clean"
    other = str(uuid.uuid4())
    held = clean.model_copy(update={"calendar_event_id": other, "location": "Inscriptions : forum@exemple.fr"})
    result = handlers.screen_event_texts(moderation_uow, held, NOW, default_screener())
    assert (result.target_type, result.target_id, result.author_id, result.verdict, result.reasons) == (
        "calendar_event", other, organizer, "held", ["personal_data.email"])
