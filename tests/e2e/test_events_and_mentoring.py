"""Events and mentoring through the gateway, with every service running:
an advisor organises a workshop, job seekers register and join the waitlist,
one leaves and the first waiting takes the seat, the calendar file opens in
Paris time; a company member mentors a job seeker."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def join(http, platform):
    """Register a member with an admin invitation and log in: (user, headers)."""
    admin = http.post(
        "/v1/auth/token", json={"email": platform.platform_admin_email, "password": platform.platform_admin_password}
    ).json()["access_token"]

    def make(role: str, name: str, agency: str | None = "HDF-LILLE") -> tuple[dict, dict]:
        invitation = {"role": role, **({"agency_code": agency} if agency else {"organization": "Transports Durand"})}
        code = http.post("/v1/invitations", json=invitation, headers=bearer(admin)).json()["code"]
        email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
        user = http.post(
            "/v1/auth/register",
            json={"invitation_code": code, "email": email, "password": PASSWORD, "display_name": name},
        )
        assert user.status_code == 201, user.text
        token = http.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
        return user.json(), bearer(token)

    return make


def test_a_workshop_from_creation_to_waitlist_promotion(http, join, platform):
    _, advisor = join("advisor", "Claire")
    (first, first_h), (second, second_h), (third, third_h) = (
        join("job_seeker", name) for name in ("Léa", "Sam", "Inès")
    )
    starts = (datetime.now(timezone.utc) + timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    created = http.post("/v1/events", headers=advisor, json={
        "title": "Atelier CV", "description": "Venez avec votre CV.", "kind": "workshop",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Agence Lille Centre", "capacity": 2, "topics": ["cv-lettre"],
    })
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert created.json()["agency_code"] == "HDF-LILLE" and created.json()["text_moderation"] == "pending"
    # Members see it once moderation let its texts through (issue 13).
    wait_for(lambda: http.get(f"/v1/events/{event_id}", headers=first_h).status_code == 200, timeout=5,
             message="the event's texts to be screened")

    assert http.post(f"/v1/events/{event_id}/registrations", headers=first_h).status_code == 201
    assert http.post(f"/v1/events/{event_id}/registrations", headers=second_h).json()["status"] == "confirmed"
    waiting = http.post(f"/v1/events/{event_id}/registrations", headers=third_h)
    assert waiting.status_code == 201 and waiting.json()["status"] == "waitlisted" and waiting.json()["position"] == 1
    again = http.post(f"/v1/events/{event_id}/registrations", headers=third_h)
    assert again.status_code == 200 and again.json()["id"] == waiting.json()["id"]

    listed = http.get("/v1/events", params={"agency": "HDF-LILLE", "kind": "workshop"}, headers=first_h).json()
    mine = next(e for e in listed["items"] if e["id"] == event_id)
    assert (mine["registered_count"], mine["waitlist_count"], mine["seats_left"]) == (2, 1, 0)

    assert http.delete(f"/v1/events/{event_id}/registrations/me", headers=first_h).status_code == 204
    promoted = http.get(f"/v1/events/{event_id}", headers=third_h).json()["my_registration"]
    assert promoted["status"] == "confirmed" and promoted["promoted_from_waitlist"] is True
    assert [i["event"]["id"] for i in http.get("/v1/me/events", headers=third_h).json()["items"]] == [event_id]

    attendees = http.get(f"/v1/events/{event_id}/registrations", headers=advisor).json()["items"]
    assert {(a["display_name"], a["status"]) for a in attendees} == {("Sam", "confirmed"), ("Inès", "confirmed")}
    assert http.get(f"/v1/events/{event_id}/registrations", headers=second_h).status_code == 403

    ics = http.get(f"/v1/events/{event_id}/ics", headers=second_h)
    assert ics.status_code == 200 and ics.headers["content-type"] == "text/calendar; charset=utf-8"
    (entry,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert entry["dtstart"].params["TZID"] == "Europe/Paris" and entry.decoded("dtstart") == starts
    assert str(entry["summary"]) == "Atelier CV"

    cancelled = http.post(f"/v1/events/{event_id}/cancel", json={"reason": "Intervenant malade"}, headers=advisor)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert http.post(f"/v1/events/{event_id}/registrations", headers=first_h).status_code == 409

    def published(event_type):
        with db_connect(platform, "events") as conn:
            return conn.execute(
                "SELECT envelope->'payload' FROM outbox WHERE event_type = %s AND published_at IS NOT NULL"
                " AND envelope->'payload'->>'calendar_event_id' = %s",
                (event_type, event_id),
            ).fetchall()

    (cancellation,) = wait_for(lambda: published("events.event_cancelled"), message="the cancellation sent")
    assert sorted(cancellation[0]["registrant_ids"]) == sorted([second["id"], third["id"]])


def seen_by_mentor(http, mentor_h: dict, request_id: str) -> None:
    wait_for(lambda: request_id in [r["id"] for r in http.get("/v1/mentoring/requests", params={"role": "mentor"},
                                                             headers=mentor_h).json()["items"]],
             timeout=5, message="the request's message to be screened")


def test_a_company_member_mentors_a_job_seeker(http, join):
    _, company = join("company", "Transports Durand", agency=None)
    seeker, seeker_h = join("job_seeker", "Nadia")
    profile = http.post(
        "/v1/mentors", json={"topics": ["logistique-transport"], "bio": "Chef d'équipe entrepôt.", "capacity": 1}, headers=company
    )
    assert profile.status_code == 201, profile.text
    assert http.post("/v1/mentors", json={"topics": ["industrie"], "bio": "Bis", "capacity": 1}, headers=company).status_code == 409
    found = http.get("/v1/mentors", params={"topic": "logistique-transport"}, headers=seeker_h).json()["items"]
    assert profile.json()["id"] in [m["id"] for m in found]

    request = http.post(
        "/v1/mentoring/requests", json={"mentor_id": profile.json()["id"], "message": "Pouvez-vous m'aider ?"},
        headers=seeker_h,
    )
    assert request.status_code == 201 and request.json()["status"] == "pending"
    request_id = request.json()["id"]
    assert request.json()["message_moderation"] == "pending"
    seen_by_mentor(http, company, request_id)  # once moderation found its message clean
    assert http.post(f"/v1/mentoring/requests/{request_id}/accept", headers=seeker_h).status_code == 403

    accepted = http.post(f"/v1/mentoring/requests/{request_id}/accept", headers=company)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    other, other_h = join("job_seeker", "Sam")
    second = http.post(
        "/v1/mentoring/requests", json={"mentor_id": profile.json()["id"], "message": "Moi aussi"}, headers=other_h
    ).json()
    seen_by_mentor(http, company, second["id"])
    assert http.post(f"/v1/mentoring/requests/{second['id']}/accept", headers=company).status_code == 409

    ended = http.post(f"/v1/mentoring/requests/{request_id}/end", json={"reason": "Emploi trouvé"}, headers=seeker_h)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert http.post(f"/v1/mentoring/requests/{second['id']}/accept", headers=company).status_code == 200

    mine = wait_for(
        lambda: (items := http.get("/v1/mentoring/requests", headers=seeker_h).json()["items"])
        and items[0]["mentor"]["display_name"] == "Transports Durand" and items,
        message="the mentor's name from identity's events",
    )
    assert mine[0]["mentee"]["display_name"] == "Nadia" and mine[0]["mentee"]["id"] == seeker["id"]
