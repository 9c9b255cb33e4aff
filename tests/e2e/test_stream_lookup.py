"""Pseudonyms stay pseudonyms: nothing in the analytics stream can be looked
up through the public API. Members post, comment, react, report, register
to an event and ask for a mentor; then every id-like value of every stream
message (ids of things, pseudonyms, the source event's id) is tried, by
the national admin (who may read everything a member may, and more),
against every API path that takes an id: each answers 404. With format 1 (raw ids of things), GET /v1/posts/{post_id}
named the author of a pseudonym."""
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from stack.testing import wait_for
from tools.datastream import reader

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"
ID_LIKE = re.compile(r"^(?:[pk]_[0-9a-f]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")
LOOKUPS = ("/v1/posts/{}", "/v1/posts/{}/comments", "/v1/users/{}", "/v1/events/{}", "/v1/events/{}/ics",
           "/v1/events/{}/registrations")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def join(http, admin, role, name, agency="HDF-LILLE"):
    invitation = {"role": role, **({"agency_code": agency} if agency else {"organization": "Transports Durand"})}
    code = http.post("/v1/invitations", json=invitation, headers=bearer(admin)).json()["code"]
    email = f"{uuid.uuid4().hex[:10]}@exemple.fr"
    user = http.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                                 "display_name": name})
    assert user.status_code == 201, user.text
    token = http.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return user.json(), bearer(token)


def id_like_values(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(id_like_values(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(id_like_values(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and ID_LIKE.match(value) else set()


def test_no_value_of_any_stream_message_can_be_looked_up_through_the_api(http, platform):
    admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                              "password": platform.platform_admin_password}).json()["access_token"]
    (asker, asker_h), (helper, helper_h) = join(http, admin, "job_seeker", "Léa"), join(http, admin, "job_seeker", "Sam")
    advisor, advisor_h = join(http, admin, "advisor", "Claire")
    _, company_h = join(http, admin, "company", "Transports Durand", agency=None)

    post = http.post("/v1/posts", json={"kind": "question", "title": "Cariste ou préparateur ?",
                                        "body": "Lequel choisir pour commencer ?", "topics": []}, headers=asker_h).json()
    wait_for(lambda: http.get(f"/v1/posts/{post['id']}", headers=asker_h).json().get("status") == "published",
             timeout=10, message="the post to be published")
    comment = http.post(f"/v1/posts/{post['id']}/comments", json={"body": "Préparateur, c'est plus simple."},
                        headers=helper_h)
    assert comment.status_code == 201, comment.text
    assert http.post(f"/v1/posts/{post['id']}/reactions", json={"type": "thanks"}, headers=helper_h).status_code == 204
    report = http.post("/v1/reports", json={"target_type": "post", "target_id": post["id"], "reason": "other",
                                            "detail": "Pour voir"}, headers=helper_h)
    assert report.status_code == 201, report.text
    starts = datetime.now(timezone.utc) + timedelta(days=3)
    event = http.post("/v1/events", json={
        "title": "Atelier CV", "description": "Retravailler son CV", "kind": "workshop",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Agence Lille", "capacity": 10, "topics": []}, headers=advisor_h).json()
    # Members see an event once moderation found its texts clean.
    wait_for(lambda: http.get(f"/v1/events/{event['id']}", headers=asker_h).status_code == 200, timeout=15,
             message="the event's texts to be screened")
    registration = http.post(f"/v1/events/{event['id']}/registrations", headers=asker_h)
    assert registration.status_code == 201, registration.text
    mentor = http.post("/v1/mentors", json={"topics": ["logistique-transport"], "bio": "Chef d'équipe", "capacity": 2}, headers=company_h)
    assert mentor.status_code == 201, mentor.text
    request = http.post("/v1/mentoring/requests", json={"mentor_id": mentor.json()["id"], "message": "Bonjour"},
                        headers=asker_h)
    assert request.status_code == 201, request.text

    wanted = {"posts.post_created", "posts.comment_created", "posts.reaction_added", "events.event_created",
              "events.registration_confirmed", "mentoring.request_created", "mentoring.mentor_profile_created"}

    def messages():
        found = [m.body for m in reader.read(platform.amqp_uri, "first", idle_seconds=1.0)]
        return found if wanted <= {m["event_type"] for m in found} else None

    stream = wait_for(messages, timeout=30, interval=1, message="the scenario's events on the stream")
    assert all(m["stream_version"] == 2 for m in stream)

    # The raw ids of what the members made are nowhere in the stream.
    raw_ids = {post["id"], comment.json()["id"], report.json()["id"], event["id"], registration.json()["id"],
               request.json()["id"], mentor.json()["id"], asker["id"], helper["id"], advisor["id"]}
    text = json.dumps(stream)
    assert [i for i in raw_ids if i in text] == []

    values = set().union(*(id_like_values(m) for m in stream))
    assert any(v.startswith("k_") for v in values) and any(v.startswith("p_") for v in values)
    found = {}
    for value in sorted(values):
        for path in LOOKUPS:
            status = http.get(path.format(value), headers=bearer(admin)).status_code
            if status != 404:
                found[path.format(value)] = status
    assert found == {}, f"stream values the API answers: {found}"
    for path in LOOKUPS[:2]:  # the lookups do work with a raw id
        assert http.get(path.format(post["id"]), headers=bearer(admin)).status_code == 200
