"""Event rules and the iCalendar export, without I/O."""
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from services.events import calendar, domain
from shared.caller import Caller
from shared.errors import Conflict, Forbidden, ValidationFailed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def fields(error: ValidationFailed) -> set[str]:
    return {e["loc"][-1] for e in error.errors}


def test_an_event_starts_in_the_future_and_ends_after_it_starts():
    domain.check_schedule(NOW + timedelta(hours=1), NOW + timedelta(hours=2), NOW)
    with pytest.raises(ValidationFailed) as past:
        domain.check_schedule(NOW, NOW + timedelta(hours=2), NOW)
    assert fields(past.value) == {"starts_at"}
    with pytest.raises(ValidationFailed) as backwards:
        domain.check_schedule(NOW + timedelta(hours=2), NOW + timedelta(hours=2), NOW)
    assert fields(backwards.value) == {"ends_at"}


def test_an_event_has_a_place_or_an_https_link():
    domain.check_place("Lille", None)
    domain.check_place(None, "https://visio.example.fr/salle")
    with pytest.raises(ValidationFailed) as nowhere:
        domain.check_place(None, None)
    assert fields(nowhere.value) == {"location", "online_url"}
    with pytest.raises(ValidationFailed) as plain_http:
        domain.check_place("Lille", "http://visio.example.fr")
    assert fields(plain_http.value) == {"online_url"}


def test_an_advisors_event_belongs_to_their_agency():
    advisor = Caller("a", "advisor", "HDF-LILLE")
    assert domain.organizer_agency(advisor, None) == "HDF-LILLE"
    assert domain.organizer_agency(advisor, "HDF-LILLE") == "HDF-LILLE"
    with pytest.raises(Forbidden):
        domain.organizer_agency(advisor, "IDF-MONTREUIL")


def test_companies_and_admins_choose_an_agency_or_none():
    assert domain.organizer_agency(Caller("c", "company", None), "HDF-LILLE") == "HDF-LILLE"
    assert domain.organizer_agency(Caller("n", "admin", None), None) is None
    with pytest.raises(Forbidden):
        domain.organizer_agency(Caller("j", "job_seeker", "HDF-LILLE"), None)


def test_seats_then_waitlist():
    assert domain.seat_status(4, 5) == "confirmed"
    assert domain.seat_status(5, 5) == "waitlisted"
    assert domain.seats_left(5, 5) == 0 and domain.seats_left(2, 5) == 3


def test_only_the_organizer_or_an_admin_manages():
    assert domain.may_manage("u1", Caller("u1", "company", None))
    assert domain.may_manage("u1", Caller("x", "admin", None))
    assert not domain.may_manage("u1", Caller("x", "advisor", "HDF-LILLE"))
    assert not domain.may_manage(None, Caller("x", "advisor", "HDF-LILLE"))


def test_attendance_only_once_started_and_never_for_a_cancelled_event():
    domain.check_attendance_open("scheduled", NOW - timedelta(minutes=1), NOW)
    with pytest.raises(Conflict):
        domain.check_attendance_open("scheduled", NOW + timedelta(minutes=1), NOW)
    with pytest.raises(Conflict):
        domain.check_attendance_open("cancelled", NOW - timedelta(minutes=1), NOW)


# ---------------------------------------------------------------- iCalendar


def calendar_event(starts_at, **overrides):
    values = dict(
        id=uuid.UUID("6f1c2a8e-1111-4a2b-9c3d-0123456789ab"), kind="workshop", title="Atelier CV, lettre ; entretien",
        description="Apportez votre CV.", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
        location="Agence Lille Centre, 12 rue Nationale", online_url=None, status="scheduled", cancel_reason=None,
        created_at=NOW, updated_at=NOW,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def parsed_event(text: str):
    (entry,) = Calendar.from_ical(text).walk("VEVENT")
    return entry


@pytest.mark.parametrize(
    ("utc_start", "paris_local"),
    [
        (datetime(2026, 3, 28, 9, 0, tzinfo=timezone.utc), "20260328T100000"),  # winter time, UTC+1
        (datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc), "20260330T110000"),  # summer time, UTC+2
        (datetime(2026, 10, 26, 9, 0, tzinfo=timezone.utc), "20261026T100000"),  # back to winter time
    ],
)
def test_ics_is_in_paris_local_time_across_daylight_saving(utc_start, paris_local):
    text = calendar.to_ics(calendar_event(utc_start))
    assert f"DTSTART;TZID=Europe/Paris:{paris_local}" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Paris" in text
    entry = parsed_event(text)
    assert entry.decoded("dtstart") == utc_start
    assert entry.decoded("dtend") == utc_start + timedelta(hours=2)


def test_ics_carries_title_description_place_and_a_stable_uid():
    event = calendar_event(datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc))
    first, second = calendar.to_ics(event), calendar.to_ics(event)
    assert first == second
    entry = parsed_event(first)
    assert str(entry["uid"]) == "6f1c2a8e-1111-4a2b-9c3d-0123456789ab@" + calendar.UID_DOMAIN
    assert str(entry["summary"]) == "Atelier CV, lettre ; entretien"
    assert str(entry["location"]) == "Agence Lille Centre, 12 rue Nationale"
    assert "Apportez votre CV." in str(entry["description"])
    assert str(entry["status"]) == "CONFIRMED"
    assert "\r\n" in first


def test_an_online_event_gives_its_link_and_a_cancelled_one_says_so():
    event = calendar_event(
        datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc), location=None, online_url="https://visio.example.fr/s",
        status="cancelled", cancel_reason="Intervenant malade",
    )
    entry = parsed_event(calendar.to_ics(event))
    assert str(entry["url"]) == "https://visio.example.fr/s"
    assert str(entry["location"]) == "https://visio.example.fr/s"
    assert str(entry["status"]) == "CANCELLED" and int(entry["sequence"]) == 1
    assert "Intervenant malade" in str(entry["description"])
