"""events over real RPC, PostgreSQL and RabbitMQ: seats, waitlists,
promotions, cancellations, attendance, and the capacity under concurrency."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def events_service(start_service):
    start_service("moderation")  # screens each event's texts before members see it
    return start_service("events")


def member(role="job_seeker", agency="HDF-LILLE") -> dict:
    """The events service trusts the caller the gateway forwards: no account needed."""
    return {"id": str(uuid.uuid4()), "role": role, "agency_code": agency}


def event_body(capacity=5, starts_in=timedelta(days=3), **overrides) -> dict:
    starts = datetime.now(timezone.utc) + starts_in
    return {
        "title": "Forum de l'emploi logistique",
        "description": "Rencontrez vingt entreprises qui recrutent.",
        "kind": "job_fair",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "location": "Grand Palais, Lille",
        "capacity": capacity,
        "topics": ["logistique"],
        **overrides,
    }


def outbox(platform, event_type: str, calendar_event_id: str) -> list[dict]:
    with db_connect(platform, "events") as conn:
        rows = conn.execute(
            "SELECT envelope FROM outbox WHERE event_type = %s AND envelope->'payload'->>'calendar_event_id' = %s"
            " ORDER BY id",
            (event_type, calendar_event_id),
        ).fetchall()
    return [row[0]["payload"] for row in rows]



def created(rpc, organizer: dict, body: dict) -> dict:
    """An event, once moderation let its texts through (members see it from then on)."""
    event = rpc(organizer).events.create_event(body)
    wait_for(lambda: "text_moderation" not in rpc(organizer).events.get_event(event["id"]), timeout=5,
             message="the event's texts to be screened")
    return event


def test_an_event_with_a_phone_number_is_listed_only_once_a_moderator_approves_it(events_service, rpc, platform):
    organizer, seeker = member("advisor"), member()
    event = rpc(organizer).events.create_event(event_body(description="Inscriptions au 06 12 34 56 78"))
    assert event["text_moderation"] == "pending"
    wait_for(lambda: rpc(organizer).events.get_event(event["id"]).get("text_moderation") == "held", timeout=5,
             message="the event's texts to be held")
    assert event["id"] not in [e["id"] for e in rpc(seeker).events.list_events({"limit": 100})["items"]]
    with pytest.raises(RemoteError) as error:
        rpc(seeker).events.register(event["id"])
    assert error.value.exc_type == "NotFound"
    assert outbox(platform, "events.event_created", event["id"]) == []
    with db_connect(platform, "moderation") as conn:
        (case_id,) = conn.execute("SELECT id FROM cases WHERE target_type = 'calendar_event' AND target_id = %s",
                                  (event["id"],)).fetchone()

    admin = member("admin", None)
    rpc(admin).moderation.decide(str(case_id), {"action": "approve", "reason": "Numéro de l'agence"})
    wait_for(lambda: event["id"] in [e["id"] for e in rpc(seeker).events.list_events({"limit": 100})["items"]],
             timeout=5, message="the approved event to be listed")
    (announced,) = outbox(platform, "events.event_created", event["id"])
    assert announced["organizer_id"] == organizer["id"]

def test_thirty_concurrent_registrations_confirm_exactly_the_capacity(events_service, rpc, platform):
    organizer = member("advisor")
    event = created(rpc, organizer, event_body(capacity=5))
    seekers = [member() for _ in range(30)]
    proxies = [rpc(seeker) for seeker in seekers]

    replies = [proxy.events.register.call_async(event["id"]) for proxy in proxies]
    results = [reply.result() for reply in replies]

    registrations = [r["registration"] for r in results]
    assert all(r["created"] for r in results)
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = [r for r in registrations if r["status"] == "waitlisted"]
    assert len(confirmed) == 5
    assert sorted(r["position"] for r in waitlisted) == list(range(1, 26))
    with db_connect(platform, "events") as conn:
        (in_db,) = conn.execute(
            "SELECT count(*) FROM registrations WHERE event_id = %s AND status = 'confirmed'", (event["id"],)
        ).fetchone()
    assert in_db == 5
    view = rpc(organizer).events.get_event(event["id"])
    assert (view["registered_count"], view["waitlist_count"], view["seats_left"]) == (5, 25, 0)
    assert len(outbox(platform, "events.registration_confirmed", event["id"])) == 5
    assert len(outbox(platform, "events.registration_waitlisted", event["id"])) == 25


def test_registering_twice_returns_the_first_registration(events_service, rpc):
    event = created(rpc, member("company", None), event_body(capacity=2))
    seeker = rpc(member())
    first = seeker.events.register(event["id"])
    again = seeker.events.register(event["id"])
    assert first["created"] is True and again["created"] is False
    assert again["registration"]["id"] == first["registration"]["id"]
    assert again["registration"]["status"] == "confirmed"
    assert seeker.events.get_event(event["id"])["registered_count"] == 1


def test_unregistering_a_seat_promotes_the_first_waitlisted(events_service, rpc, platform):
    event = created(rpc, member("advisor"), event_body(capacity=1))
    holder, first_waiting, second_waiting = member(), member(), member()
    rpc(holder).events.register(event["id"])
    rpc(first_waiting).events.register(event["id"])
    second = rpc(second_waiting).events.register(event["id"])["registration"]
    assert second["position"] == 2

    rpc(holder).events.unregister(event["id"])

    promoted = rpc(first_waiting).events.get_event(event["id"])["my_registration"]
    assert promoted["status"] == "confirmed" and promoted["promoted_from_waitlist"] is True
    assert rpc(second_waiting).events.get_event(event["id"])["my_registration"]["position"] == 1
    confirmations = outbox(platform, "events.registration_confirmed", event["id"])
    assert [(c["user_id"], c["promoted_from_waitlist"]) for c in confirmations] == [
        (holder["id"], False), (first_waiting["id"], True),
    ]
    cancelled = outbox(platform, "events.registration_cancelled", event["id"])
    assert [(c["user_id"], c["was_confirmed"]) for c in cancelled] == [(holder["id"], True)]
    with pytest.raises(RemoteError) as error:
        rpc(holder).events.unregister(event["id"])
    assert error.value.exc_type == "NotFound"


def test_cancelled_event_notifies_every_registrant_and_refuses_registrations(events_service, rpc, platform, admin):
    organizer = member("company", None)
    event = created(rpc, organizer, event_body(capacity=1))
    seated, waiting = member(), member()
    rpc(seated).events.register(event["id"])
    rpc(waiting).events.register(event["id"])

    with pytest.raises(RemoteError) as forbidden:
        rpc(member("advisor")).events.cancel_event(event["id"], {"reason": "Salle indisponible"})
    assert forbidden.value.exc_type == "Forbidden"
    view = rpc(organizer).events.cancel_event(event["id"], {"reason": "Salle indisponible"})
    assert view["status"] == "cancelled"

    (cancellation,) = outbox(platform, "events.event_cancelled", event["id"])
    assert sorted(cancellation["registrant_ids"]) == sorted([seated["id"], waiting["id"]])
    assert cancellation["reason"] == "Salle indisponible"
    with pytest.raises(RemoteError) as refused:
        rpc(member()).events.register(event["id"])
    assert refused.value.exc_type == "Conflict"
    wait_for(
        lambda: all(
            row[0] is not None
            for row in db_connect(platform, "events").execute(
                "SELECT published_at FROM outbox WHERE event_type = 'events.event_cancelled'"
            )
        ),
        message="the cancellation to be published",
    )


def test_attendance_is_recorded_only_once_the_event_started(events_service, rpc, platform):
    organizer = member("advisor")
    event = created(rpc, organizer, event_body(capacity=3))
    seeker = member()
    rpc(seeker).events.register(event["id"])
    with pytest.raises(RemoteError) as too_early:
        rpc(organizer).events.record_attendance(event["id"], {"user_id": seeker["id"], "attended": True})
    assert too_early.value.exc_type == "Conflict"

    with db_connect(platform, "events") as conn:  # the event took place
        conn.execute(
            "UPDATE calendar_events SET starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour'"
            " WHERE id = %s",
            (event["id"],),
        )
    recorded = rpc(organizer).events.record_attendance(event["id"], {"user_id": seeker["id"], "attended": False})
    assert recorded["attended"] is False
    (fact,) = outbox(platform, "events.attendance_recorded", event["id"])
    assert fact["user_id"] == seeker["id"] and fact["attended"] is False
    attendees = rpc(organizer).events.list_registrations(event["id"], {})
    assert [(a["user_id"], a["attended"]) for a in attendees["items"]] == [(seeker["id"], False)]
    with pytest.raises(RemoteError) as not_organizer:
        rpc(member("advisor")).events.list_registrations(event["id"], {})
    assert not_organizer.value.exc_type == "Forbidden"


def test_my_events_and_calendar_export(events_service, rpc):
    seeker = member()
    event = created(rpc, member("admin", None), 
        event_body(capacity=10, starts_in=timedelta(days=200), location=None, online_url="https://visio.example.fr/a")
    )
    rpc(seeker).events.register(event["id"])
    mine = rpc(seeker).events.my_events({})
    assert [item["event"]["id"] for item in mine["items"]] == [event["id"]]
    ics = rpc(seeker).events.event_ics(event["id"])
    assert "BEGIN:VCALENDAR" in ics and "TZID=Europe/Paris" in ics and f"UID:{event['id']}@" in ics


def test_names_from_identity_export_and_erasure(events_service, rpc, platform):
    from tests.integration.test_mentoring_service import publish_identity, registered
    from shared.contracts.identity import UserErased

    organizer, leaving, waiting = member("advisor"), member(), member()
    registered(platform, organizer, "Claire")
    registered(platform, leaving, "Nadia")
    event = created(rpc, organizer, event_body(capacity=1))
    rpc(leaving).events.register(event["id"])
    rpc(waiting).events.register(event["id"])
    wait_for(
        lambda: rpc(leaving).events.get_event(event["id"])["organizer"]["display_name"] == "Claire",
        message="the organiser's name",
    )
    exported = rpc(leaving).events.export_user_data()
    assert exported["member"]["display_name"] == "Nadia"
    assert [r["event_id"] for r in exported["registrations"]] == [event["id"]]

    publish_identity(platform, UserErased(user_id=leaving["id"], erased_at=datetime.now(timezone.utc)))

    wait_for(
        lambda: rpc(leaving).events.export_user_data() == {"member": None, "registrations": [], "organized_events": []},
        message="the member's data to be erased",
    )
    assert rpc(waiting).events.get_event(event["id"])["my_registration"]["status"] == "confirmed"
    with db_connect(platform, "events") as conn:
        (left,) = conn.execute("SELECT count(*) FROM registrations WHERE user_id = %s", (leaving["id"],)).fetchone()
    assert left == 0
