"""Reminders: one events.reminder_due per confirmed registrant, exactly once,
with two replicas scanning at the same time and across a crash and restart.
The lead time is a few seconds here (REMINDER_LEAD_HOURS) instead of 24 hours."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration

LEAD_SECONDS = 6
REPLICA_ENV = {"REMINDER_LEAD_HOURS": LEAD_SECONDS / 3600, "REMINDER_SCAN_SECONDS": 0.2}


@pytest.fixture(scope="module")
def replicas(start_service):
    start_service("moderation")  # screens each event's texts before members see it
    return [start_service("events", **REPLICA_ENV), start_service("events", **REPLICA_ENV)]


def member(role="job_seeker") -> dict:
    return {"id": str(uuid.uuid4()), "role": role, "agency_code": "HDF-LILLE"}


def soon_event(rpc, organizer, capacity=10, starts_in_seconds=LEAD_SECONDS + 4) -> dict:
    starts = datetime.now(timezone.utc) + timedelta(seconds=starts_in_seconds)
    return created(rpc, organizer, {
        "title": "Atelier CV", "description": "Venez avec votre CV imprimé.", "kind": "workshop",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Agence Lille Centre", "capacity": capacity, "topics": [],
    })


def reminders(platform, calendar_event_id: str) -> list[dict]:
    with db_connect(platform, "events") as conn:
        rows = conn.execute(
            "SELECT envelope->'payload' FROM outbox WHERE event_type = 'events.reminder_due'"
            " AND envelope->'payload'->>'calendar_event_id' = %s",
            (calendar_event_id,),
        ).fetchall()
    return [row[0] for row in rows]



def created(rpc, organizer: dict, body: dict) -> dict:
    """An event, once moderation let its texts through (members see it from then on)."""
    event = rpc(organizer).events.create_event(body)
    wait_for(lambda: "text_moderation" not in rpc(organizer).events.get_event(event["id"]), timeout=5,
             message="the event's texts to be screened")
    return event

def test_each_confirmed_registrant_is_reminded_exactly_once(replicas, rpc, platform):
    organizer = member("advisor")
    event = soon_event(rpc, organizer, capacity=3)
    seekers = [member() for _ in range(4)]
    for seeker in seekers:
        rpc(seeker).events.register(event["id"])  # the fourth is waitlisted: no reminder

    wait_for(lambda: len(reminders(platform, event["id"])) >= 3, timeout=20, message="three reminders")

    # A crash of one replica, then a restart: nothing is sent twice.
    replicas[0].kill()
    replicas[0].start()
    later = soon_event(rpc, organizer, capacity=1)
    rpc(member()).events.register(later["id"])
    # The later event's reminder proves both replicas scanned again since.
    wait_for(lambda: len(reminders(platform, later["id"])) == 1, timeout=20, message="the later reminder")

    sent = reminders(platform, event["id"])
    assert sorted(r["user_id"] for r in sent) == sorted(s["id"] for s in seekers[:3])
    assert len({r["registration_id"] for r in sent}) == 3
    assert sent[0]["title"] == "Atelier CV" and sent[0]["location"] == "Agence Lille Centre"
    with db_connect(platform, "events") as conn:
        marked = conn.execute(
            "SELECT count(*) FROM registrations WHERE event_id = %s AND reminder_sent_at IS NOT NULL",
            (event["id"],),
        ).fetchone()[0]
    assert marked == 3


def test_an_event_outside_the_lead_time_is_not_reminded_yet(replicas, rpc, platform):
    organizer = member("advisor")
    far = soon_event(rpc, organizer, starts_in_seconds=3600)
    rpc(member()).events.register(far["id"])
    near = soon_event(rpc, organizer)
    rpc(member()).events.register(near["id"])
    wait_for(lambda: len(reminders(platform, near["id"])) == 1, timeout=20, message="the near event's reminder")
    assert reminders(platform, far["id"]) == []
