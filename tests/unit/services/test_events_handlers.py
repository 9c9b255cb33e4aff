"""events use cases over in-memory fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.events import handlers
from shared.caller import Caller
from shared.contracts.events import (
    AttendanceRecorded,
    CalendarEventCancelled,
    CalendarEventCreated,
    CalendarEventTextsSubmitted,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationWaitlisted,
    ReminderDue,
)
from shared.contracts.identity import ProfileUpdated, UserErased, UserRegistered
from shared.contracts.moderation import TextDecided, TextScreened
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from tests.unit.fakes import FakeEventsUnitOfWork

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
ADVISOR = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")
COMPANY = Caller(str(uuid.uuid4()), "company", None)
ADMIN = Caller(str(uuid.uuid4()), "admin", None)
LEAD = timedelta(hours=24)


def seeker(agency="HDF-LILLE") -> Caller:
    return Caller(str(uuid.uuid4()), "job_seeker", agency)


@pytest.fixture
def uow() -> FakeEventsUnitOfWork:
    return FakeEventsUnitOfWork()


def body(starts_in=timedelta(days=3), **overrides) -> dict:
    starts = NOW + starts_in
    return {
        "title": "Forum de l'emploi", "description": "Vingt recruteurs.", "kind": "job_fair",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "location": "Lille Grand Palais", "capacity": 2, "topics": ["logistique", "logistique"], **overrides,
    }


def create(uow, caller=ADVISOR, verdict: str | None = "clean", **overrides) -> dict:
    """An event, its texts then screened (`verdict`; None: not yet): listed once clean."""
    view = handlers.create_event(uow, caller, body(**overrides), NOW)
    if verdict is not None:
        screened(uow, view["id"], caller, verdict)
        view = handlers.get_event(uow, caller, view["id"])
        del view["my_registration"]
    return view


def screened(uow, event_id: str, organizer: Caller, verdict: str) -> None:
    handlers.texts_verdict(uow, TextScreened(
        target_type="calendar_event", target_id=event_id, author_id=organizer.id, agency_code=organizer.agency_code, text_version=1, verdict=verdict,
        reasons=[], case_id=None, screened_at=NOW), NOW)
    uow.commit()


def decided(uow, event_id: str, organizer: Caller, verdict: str) -> None:
    handlers.texts_verdict(uow, TextDecided(
        case_id=str(uuid.uuid4()), target_type="calendar_event", target_id=event_id, author_id=organizer.id,
        agency_code=organizer.agency_code, text_version=1, verdict=verdict, reason="", decided_by=ADMIN.id,
        opened_at=NOW, decided_at=NOW), NOW)
    uow.commit()


# ---------------------------------------------------------------- texts screened first (issue 13)


def test_an_event_is_listed_and_announced_only_once_its_texts_are_clean(uow):
    member = seeker()
    view = create(uow, verdict=None, description="Infos au 06 12 34 56 78")
    assert view["text_moderation"] == "pending"
    [submitted] = uow.published_of(CalendarEventTextsSubmitted)
    assert (submitted.calendar_event_id, submitted.organizer_id, submitted.text_version) == (view["id"], ADVISOR.id, 1)
    assert submitted.description == "Infos au 06 12 34 56 78" and uow.published_of(CalendarEventCreated) == []
    assert handlers.list_events(uow, member, {}, NOW)["items"] == []
    for call in (lambda: handlers.get_event(uow, member, view["id"]), lambda: handlers.event_ics(uow, member, view["id"]),
                 lambda: handlers.register(uow, member, view["id"], NOW)):
        with pytest.raises(NotFound):
            call()
    # Its organiser sees it, with where its texts stand.
    assert [e["text_moderation"] for e in handlers.list_events(uow, ADVISOR, {}, NOW)["items"]] == ["pending"]

    screened(uow, view["id"], ADVISOR, "held")
    assert handlers.get_event(uow, ADVISOR, view["id"])["text_moderation"] == "held"
    assert handlers.list_events(uow, member, {}, NOW)["items"] == []
    decided(uow, view["id"], ADVISOR, "published")
    [listed] = handlers.list_events(uow, member, {}, NOW)["items"]
    assert listed["id"] == view["id"] and "text_moderation" not in listed
    [created] = uow.published_of(CalendarEventCreated)
    assert created.calendar_event_id == view["id"] and created.created_at == NOW
    decided(uow, view["id"], ADVISOR, "published")  # redelivered: announced once
    assert len(uow.published_of(CalendarEventCreated)) == 1
    assert handlers.register(uow, member, view["id"], NOW)["registration"]["status"] == "confirmed"


def test_an_event_whose_texts_are_refused_stays_its_organisers_only(uow):
    view = create(uow, verdict="held")
    decided(uow, view["id"], ADVISOR, "refused")
    assert handlers.get_event(uow, ADVISOR, view["id"])["text_moderation"] == "refused"
    assert handlers.list_events(uow, seeker(), {}, NOW)["items"] == []
    assert uow.published_of(CalendarEventCreated) == []


# ---------------------------------------------------------------- creating and reading


def test_an_advisors_event_is_created_in_their_agency_and_recorded(uow):
    view = create(uow)
    assert view["agency_code"] == "HDF-LILLE" and view["status"] == "scheduled"
    assert (view["registered_count"], view["waitlist_count"], view["seats_left"]) == (0, 0, 2)
    assert view["topics"] == ["logistique"]
    (created,) = uow.published_of(CalendarEventCreated)
    assert created.calendar_event_id == view["id"] and created.organizer_role == "advisor"


def test_invalid_events_are_refused_before_anything_is_stored(uow):
    with pytest.raises(ValidationFailed):
        create(uow, capacity=0)
    with pytest.raises(ValidationFailed):
        create(uow, starts_in=-timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        create(uow, location=None)
    with pytest.raises(Forbidden):
        create(uow, caller=seeker())
    with pytest.raises(Forbidden):
        create(uow, agency_code="IDF-MONTREUIL")
    assert uow.calendar_events.rows == {} and uow.published == []


def test_list_is_soonest_first_filtered_and_paginated(uow):
    later = create(uow, starts_in=timedelta(days=9), kind="workshop")
    sooner = create(uow, starts_in=timedelta(days=2), kind="workshop")
    create(uow, caller=COMPANY, starts_in=timedelta(days=5), topics=["btp"])
    first = handlers.list_events(uow, seeker(), {"kind": "workshop", "limit": 1}, NOW)
    assert [e["id"] for e in first["items"]] == [sooner["id"]]
    second = handlers.list_events(uow, seeker(), {"kind": "workshop", "limit": 1, "cursor": first["next_cursor"]}, NOW)
    assert [e["id"] for e in second["items"]] == [later["id"]] and second["next_cursor"] is None
    assert len(handlers.list_events(uow, seeker(), {"topic": "btp"}, NOW)["items"]) == 1
    assert len(handlers.list_events(uow, seeker(), {"agency": "HDF-LILLE"}, NOW)["items"]) == 2
    until = (NOW + timedelta(days=4)).isoformat()
    assert [e["id"] for e in handlers.list_events(uow, seeker(), {"to": until}, NOW)["items"]] == [sooner["id"]]


def test_finished_events_are_left_out_unless_from_is_given(uow):
    event = create(uow)
    after_it = NOW + timedelta(days=10)
    assert handlers.list_events(uow, seeker(), {}, after_it)["items"] == []
    listed = handlers.list_events(uow, seeker(), {"from": NOW.isoformat()}, after_it)
    assert [e["id"] for e in listed["items"]] == [event["id"]]


def test_unknown_event_is_404_and_anonymous_is_401(uow):
    with pytest.raises(NotFound):
        handlers.get_event(uow, seeker(), str(uuid.uuid4()))
    with pytest.raises(NotFound):
        handlers.get_event(uow, seeker(), "not-a-uuid")
    with pytest.raises(Unauthorized):
        handlers.get_event(uow, Caller.anonymous(), str(uuid.uuid4()))


# ---------------------------------------------------------------- registrations


def test_seats_then_waitlist_with_positions(uow):
    event = create(uow)
    results = [handlers.register(uow, seeker(), event["id"], NOW) for _ in range(4)]
    statuses = [(r["registration"]["status"], r["registration"].get("position")) for r in results]
    assert statuses == [("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert len(uow.published_of(RegistrationConfirmed)) == 2
    assert [w.position for w in uow.published_of(RegistrationWaitlisted)] == [1, 2]
    view = handlers.get_event(uow, seeker(), event["id"])
    assert (view["registered_count"], view["waitlist_count"], view["seats_left"]) == (2, 2, 0)
    assert uuid.UUID(event["id"]) in uow.calendar_events.locked


def test_registering_again_returns_the_first_registration_without_a_new_event(uow):
    event, member = create(uow), seeker()
    first = handlers.register(uow, member, event["id"], NOW)
    published = len(uow.published)
    again = handlers.register(uow, member, event["id"], NOW)
    assert again == {"created": False, "registration": first["registration"]}
    assert len(uow.published) == published


def test_a_cancelled_or_started_event_refuses_registrations(uow):
    event = create(uow)
    handlers.cancel_event(uow, ADVISOR, event["id"], {"reason": "Salle indisponible"}, NOW)
    with pytest.raises(Conflict):
        handlers.register(uow, seeker(), event["id"], NOW)
    started = create(uow)
    with pytest.raises(Conflict):
        handlers.register(uow, seeker(), started["id"], NOW + timedelta(days=3, minutes=1))


def test_leaving_a_seat_promotes_the_first_waitlisted(uow):
    event = create(uow, capacity=1)
    holder, first, second = seeker(), seeker(), seeker()
    for member in (holder, first, second):
        handlers.register(uow, member, event["id"], NOW)

    handlers.unregister(uow, holder, event["id"], NOW)

    (cancelled,) = uow.published_of(RegistrationCancelled)
    assert cancelled.user_id == holder.id and cancelled.was_confirmed is True
    promoted = [c for c in uow.published_of(RegistrationConfirmed) if c.promoted_from_waitlist]
    assert [c.user_id for c in promoted] == [first.id]
    assert handlers.get_event(uow, first, event["id"])["my_registration"]["status"] == "confirmed"
    assert handlers.get_event(uow, second, event["id"])["my_registration"]["position"] == 1


def test_leaving_the_waitlist_promotes_nobody(uow):
    event = create(uow, capacity=1)
    holder, waiting = seeker(), seeker()
    handlers.register(uow, holder, event["id"], NOW)
    handlers.register(uow, waiting, event["id"], NOW)
    handlers.unregister(uow, waiting, event["id"], NOW)
    assert not [c for c in uow.published_of(RegistrationConfirmed) if c.promoted_from_waitlist]
    assert uow.published_of(RegistrationCancelled)[0].was_confirmed is False


def test_unregistering_when_not_registered_is_404(uow):
    event = create(uow)
    with pytest.raises(NotFound):
        handlers.unregister(uow, seeker(), event["id"], NOW)


def test_registering_again_after_leaving_goes_to_the_back(uow):
    event = create(uow, capacity=1)
    holder, waiting = seeker(), seeker()
    handlers.register(uow, holder, event["id"], NOW)
    handlers.register(uow, waiting, event["id"], NOW)
    handlers.unregister(uow, holder, event["id"], NOW)
    back = handlers.register(uow, holder, event["id"], NOW)
    assert back["created"] is True and back["registration"]["status"] == "waitlisted"
    assert back["registration"]["position"] == 1


# ---------------------------------------------------------------- organisers


def test_cancellation_names_every_registrant(uow):
    event = create(uow, caller=COMPANY, capacity=1)
    members = [seeker(), seeker()]
    for member in members:
        handlers.register(uow, member, event["id"], NOW)
    with pytest.raises(Forbidden):
        handlers.cancel_event(uow, ADVISOR, event["id"], {"reason": "Salle indisponible"}, NOW)
    view = handlers.cancel_event(uow, ADMIN, event["id"], {"reason": "Salle indisponible"}, NOW)
    assert view["status"] == "cancelled" and view["cancel_reason"] == "Salle indisponible"
    (cancelled,) = uow.published_of(CalendarEventCancelled)
    assert sorted(cancelled.registrant_ids) == sorted(m.id for m in members)
    with pytest.raises(Conflict):
        handlers.cancel_event(uow, COMPANY, event["id"], {"reason": "Encore"}, NOW)


def test_attendance_after_the_start_for_confirmed_registrants_only(uow):
    event = create(uow, capacity=1)
    present, waiting = seeker(), seeker()
    handlers.register(uow, present, event["id"], NOW)
    handlers.register(uow, waiting, event["id"], NOW)
    started = NOW + timedelta(days=3, hours=1)
    with pytest.raises(Conflict):
        handlers.record_attendance(uow, ADVISOR, event["id"], {"user_id": present.id, "attended": True}, NOW)
    with pytest.raises(Forbidden):
        handlers.record_attendance(uow, COMPANY, event["id"], {"user_id": present.id, "attended": True}, started)
    with pytest.raises(ValidationFailed):
        handlers.record_attendance(uow, ADVISOR, event["id"], {"user_id": waiting.id, "attended": True}, started)

    view = handlers.record_attendance(uow, ADVISOR, event["id"], {"user_id": present.id, "attended": True}, started)
    handlers.record_attendance(uow, ADVISOR, event["id"], {"user_id": present.id, "attended": True}, started)
    assert view["attended"] is True
    (recorded,) = uow.published_of(AttendanceRecorded)  # the same answer twice is one fact
    assert recorded.user_id == present.id and recorded.attended is True


def test_attendees_list_for_organizer_with_names_and_positions(uow):
    event = create(uow, capacity=1)
    members = [seeker(), seeker(), seeker()]
    for i, member in enumerate(members):
        uow.members.add(uuid.UUID(member.id), f"Membre {i}", "job_seeker", "HDF-LILLE")
        handlers.register(uow, member, event["id"], NOW)
    with pytest.raises(Forbidden):
        handlers.list_registrations(uow, members[0], event["id"], {})
    first = handlers.list_registrations(uow, ADVISOR, event["id"], {"limit": 2})
    rest = handlers.list_registrations(uow, ADMIN, event["id"], {"limit": 2, "cursor": first["next_cursor"]})
    items = first["items"] + rest["items"]
    assert [(i["display_name"], i["status"], i.get("position")) for i in items] == [
        ("Membre 0", "confirmed", None), ("Membre 1", "waitlisted", 1), ("Membre 2", "waitlisted", 2),
    ]
    assert rest["next_cursor"] is None


def test_my_events_lists_active_registrations_soonest_first(uow):
    member = seeker()
    later, sooner, left = create(uow, starts_in=timedelta(days=8)), create(uow), create(uow)
    for event in (later, sooner, left):
        handlers.register(uow, member, event["id"], NOW)
    handlers.unregister(uow, member, left["id"], NOW)
    mine = handlers.my_events(uow, member, {})
    assert [i["event"]["id"] for i in mine["items"]] == [sooner["id"], later["id"]]
    assert mine["items"][0]["status"] == "confirmed"


# ---------------------------------------------------------------- reminders


def test_reminders_go_once_to_confirmed_registrants_within_the_lead_time(uow):
    soon = create(uow, starts_in=timedelta(hours=30), capacity=1)
    far = create(uow, starts_in=timedelta(days=5))
    seated, waiting, far_member = seeker(), seeker(), seeker()
    handlers.register(uow, seated, soon["id"], NOW)
    handlers.register(uow, waiting, soon["id"], NOW)
    handlers.register(uow, far_member, far["id"], NOW)

    assert handlers.send_due_reminders(uow, NOW, LEAD, 100) == 0  # 30 hours before: not yet
    assert handlers.send_due_reminders(uow, NOW + timedelta(hours=7), LEAD, 100) == 1
    assert handlers.send_due_reminders(uow, NOW + timedelta(hours=8), LEAD, 100) == 0

    (reminder,) = uow.published_of(ReminderDue)
    assert reminder.user_id == seated.id and reminder.calendar_event_id == soon["id"]
    assert reminder.location == "Lille Grand Palais"


def test_a_cancelled_event_sends_no_reminder(uow):
    event = create(uow, starts_in=timedelta(hours=30))
    handlers.register(uow, seeker(), event["id"], NOW)
    handlers.cancel_event(uow, ADVISOR, event["id"], {"reason": "Annulé"}, NOW)
    assert handlers.send_due_reminders(uow, NOW + timedelta(hours=7), LEAD, 100) == 0


# ---------------------------------------------------------------- members and GDPR


def test_names_follow_identitys_events(uow):
    uow.members.add(uuid.UUID(ADVISOR.id), "Ancien nom", "advisor", "HDF-LILLE")
    event = create(uow)
    uow.members.rename(ProfileUpdated(user_id=ADVISOR.id, display_name="Claire", topics=[], updated_at=NOW))
    assert handlers.get_event(uow, seeker(), event["id"])["organizer"]["display_name"] == "Claire"
    member = seeker()
    uow.members.remember(UserRegistered(
        user_id=member.id, email="n@exemple.fr", display_name="Nadia", role="job_seeker", agency_code="HDF-LILLE",
        registered_at=NOW,
    ))
    assert uow.members.get(uuid.UUID(member.id)).display_name == "Nadia"


def test_export_holds_the_callers_registrations_and_organised_events(uow):
    event = create(uow)
    handlers.register(uow, ADVISOR, event["id"], NOW)
    exported = handlers.export_user_data(uow, ADVISOR)
    assert [r["event_id"] for r in exported["registrations"]] == [event["id"]]
    assert [e["id"] for e in exported["organized_events"]] == [event["id"]]
    assert handlers.export_user_data(uow, seeker())["registrations"] == []


def test_erasure_frees_seats_deletes_registrations_and_keeps_organised_events(uow):
    organised = create(uow, capacity=1)
    member, waiting = seeker(), seeker()
    uow.members.add(uuid.UUID(member.id), "Nadia", "job_seeker", "HDF-LILLE")
    handlers.register(uow, member, organised["id"], NOW)
    handlers.register(uow, waiting, organised["id"], NOW)
    own = create(uow, caller=COMPANY)

    handlers.erase_member(uow, UserErased(user_id=member.id, erased_at=NOW), NOW)
    handlers.erase_member(uow, UserErased(user_id=COMPANY.id, erased_at=NOW), NOW)
    uow.commit()

    assert all(r.user_id != uuid.UUID(member.id) for r in uow.registrations.rows.values())
    assert uow.members.live(uuid.UUID(member.id)) is None and uow.members.get(uuid.UUID(member.id)).display_name is None
    assert handlers.get_event(uow, waiting, organised["id"])["my_registration"]["status"] == "confirmed"
    kept = handlers.get_event(uow, waiting, own["id"])
    assert kept["organizer"] == {"id": None, "display_name": "Membre supprimé"}
    assert handlers.export_user_data(uow, member) == {"member": None, "registrations": [], "organized_events": []}


def test_leaving_and_coming_back_inside_the_lead_time_is_not_reminded_twice(uow):
    event, member = create(uow, starts_in=timedelta(hours=30)), seeker()
    handlers.register(uow, member, event["id"], NOW)
    reminded_at = NOW + timedelta(hours=7)
    assert handlers.send_due_reminders(uow, reminded_at, LEAD, 100) == 1
    handlers.unregister(uow, member, event["id"], reminded_at)
    handlers.register(uow, member, event["id"], reminded_at)
    assert handlers.send_due_reminders(uow, reminded_at + timedelta(hours=1), LEAD, 100) == 0
    assert len(uow.published_of(ReminderDue)) == 1
