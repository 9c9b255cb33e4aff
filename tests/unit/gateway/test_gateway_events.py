"""Events routes: roles, validation, status codes, the calendar file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gateway.rpc_client import RemoteError

AGENCIES = [{"code": "HDF-LILLE", "name": "Lille", "region": "Hauts-de-France"}]
TOPICS = [{"slug": "logistique", "label": "Logistique", "kind": "sector"}]
REGISTRATION = {
    "id": "r1", "event_id": "e1", "user_id": "u1", "status": "waitlisted", "position": 3,
    "registered_at": "2026-01-01T00:00:00+00:00", "confirmed_at": None, "promoted_from_waitlist": False,
    "attended": None,
}


def body(**overrides) -> dict:
    starts = datetime.now(timezone.utc) + timedelta(days=2)
    return {
        "title": "Forum emploi", "description": "Vingt recruteurs.", "kind": "job_fair",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Lille", "capacity": 30, "topics": ["logistique"], **overrides,
    }


@pytest.fixture
def references(fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = AGENCIES
    fake_rpc.replies[("posts", "list_topics")] = TOPICS
    fake_rpc.replies[("events", "create_event")] = {"id": "e1"}
    return fake_rpc


def test_company_creates_an_event(client, references, auth):
    response = client.post("/v1/events", json=body(agency_code="HDF-LILLE"), headers=auth("company", agency=None))
    assert response.status_code == 201
    call = references.last()
    assert (call.service, call.method) == ("events", "create_event")
    assert call.args[0]["agency_code"] == "HDF-LILLE" and call.args[0]["capacity"] == 30


def test_a_job_seeker_cannot_create_an_event(client, references, auth, assert_problem):
    assert_problem(client.post("/v1/events", json=body(), headers=auth("job_seeker")), 403)
    assert references.calls == []


def test_an_advisor_creates_only_for_their_agency(client, references, auth, assert_problem):
    response = client.post("/v1/events", json=body(agency_code="IDF-MONTREUIL"), headers=auth("advisor", agency="HDF-LILLE"))
    assert_problem(response, 403)
    assert references.calls == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "2020-01-01T10:00:00+00:00", "ends_at": "2020-01-01T12:00:00+00:00"}, "starts_at"),
        ({"ends_at": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"location": None}, "location"),
        ({"online_url": "http://visio.example.fr"}, "online_url"),
        ({"kind": "party"}, "kind"),
        ({"agency_code": "NOWHERE"}, "agency_code"),
        ({"topics": ["astrologie"]}, "topics"),
        ({"organizer_id": "x"}, "organizer_id"),
        ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),
    ],
)
def test_invalid_events_are_422_naming_the_field(client, references, auth, assert_problem, overrides, field):
    response = client.post("/v1/events", json=body(**overrides), headers=auth("admin", agency=None))
    problem = assert_problem(response, 422)
    assert field in {error["loc"][-1] for error in problem["errors"]}
    assert ("events", "create_event") not in {(c.service, c.method) for c in references.calls}


def test_online_only_event_is_accepted(client, references, auth):
    response = client.post(
        "/v1/events", json=body(location=None, online_url="https://visio.example.fr/salle"), headers=auth("admin", agency=None)
    )
    assert response.status_code == 201


def test_list_events_passes_filters(client, fake_rpc, auth):
    fake_rpc.replies[("events", "list_events")] = {"items": [], "next_cursor": None}
    response = client.get(
        "/v1/events",
        params={"from": "2026-03-01T00:00:00Z", "agency": "HDF-LILLE", "topic": "logistique", "kind": "workshop", "limit": 5},
        headers=auth(),
    )
    assert response.status_code == 200
    (query,) = fake_rpc.last().args
    assert query == {"from": "2026-03-01T00:00:00Z", "agency": "HDF-LILLE", "topic": "logistique",
                     "kind": "workshop", "limit": 5}


def test_list_events_refuses_a_limit_over_100(client, fake_rpc, auth, assert_problem):
    assert_problem(client.get("/v1/events", params={"limit": 101}, headers=auth()), 422)
    assert fake_rpc.calls == []


def test_registration_is_201_then_200(client, fake_rpc, auth):
    fake_rpc.replies[("events", "register")] = {"created": True, "registration": REGISTRATION}
    first = client.post("/v1/events/e1/registrations", headers=auth())
    assert first.status_code == 201 and first.json() == REGISTRATION
    fake_rpc.replies[("events", "register")] = {"created": False, "registration": REGISTRATION}
    again = client.post("/v1/events/e1/registrations", headers=auth())
    assert again.status_code == 200 and again.json()["position"] == 3


def test_registration_on_a_cancelled_event_is_409(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("events", "register")] = RemoteError("Conflict", ["Cet événement est annulé."])
    assert_problem(client.post("/v1/events/e1/registrations", headers=auth()), 409)


def test_unregister_is_204(client, fake_rpc, auth):
    fake_rpc.replies[("events", "unregister")] = None
    response = client.delete("/v1/events/e1/registrations/me", headers=auth(sub="u7"))
    assert response.status_code == 204 and response.content == b""
    assert fake_rpc.last().context["caller_id"] == "u7"


def test_ics_is_text_calendar(client, fake_rpc, auth):
    fake_rpc.replies[("events", "event_ics")] = "BEGIN:VCALENDAR\r\nSUMMARY:Forum à Lille\r\nEND:VCALENDAR\r\n"
    response = client.get("/v1/events/e1/ics", headers=auth())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.content.decode("utf-8").startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("get", "/v1/events/e1/registrations", None),
        ("post", "/v1/events/e1/attendance", {"user_id": "u1", "attended": True}),
        ("post", "/v1/events/e1/cancel", {"reason": "Salle indisponible"}),
    ],
)
def test_organizer_routes_are_closed_to_job_seekers(client, fake_rpc, auth, assert_problem, method, path, json):
    assert_problem(client.request(method, path, json=json, headers=auth("job_seeker")), 403)
    assert fake_rpc.calls == []


def test_cancel_requires_a_reason(client, fake_rpc, auth, assert_problem):
    assert_problem(client.post("/v1/events/e1/cancel", json={}, headers=auth("advisor")), 422)
    assert fake_rpc.calls == []


def test_attendance_forwards_the_body(client, fake_rpc, auth):
    fake_rpc.replies[("events", "record_attendance")] = {**REGISTRATION, "status": "confirmed", "attended": True}
    response = client.post("/v1/events/e1/attendance", json={"user_id": "u1", "attended": True}, headers=auth("company"))
    assert response.status_code == 200
    assert fake_rpc.last().args == ("e1", {"user_id": "u1", "attended": True})


def test_my_events(client, fake_rpc, auth):
    fake_rpc.replies[("events", "my_events")] = {"items": [], "next_cursor": None}
    response = client.get("/v1/me/events", headers=auth())
    assert response.status_code == 200
    assert fake_rpc.last().method == "my_events"


def test_events_need_a_token(client, fake_rpc, assert_problem):
    assert_problem(client.get("/v1/events"), 401)
    assert_problem(client.get("/v1/me/events"), 401)
    assert fake_rpc.calls == []
