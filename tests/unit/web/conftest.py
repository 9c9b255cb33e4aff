"""The web app with a stand-in for the gateway's HTTP API (unit tests only:
the browser tests in tests/web run against the real platform)."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
import pytest
from starlette.testclient import TestClient

from web.app import create_app
from web.gateway import Gateway
from web.settings import WebSettings

NOW = datetime.now(timezone.utc)


def post(i: int = 1, **extra) -> dict[str, Any]:
    return {
        "id": f"p{i}", "kind": "question", "title": f"Question numéro {i} sur la formation de cariste",
        "body": "Bonjour, je cherche une formation CACES près de Lille. " * 3, "topics": ["logistique"],
        "author": {"id": "u2", "display_name": "Hugo"}, "agency_code": "HDF-LILLE", "status": "published",
        "created_at": (NOW - timedelta(minutes=5 * i)).isoformat(), "comment_count": i % 3,
        "reactions": {"helpful": 1, "thanks": 0, "support": 2}, "my_reactions": [], "accepted_comment_id": None,
        "pinned": i == 1, "video_url": None, "details": None, **extra,
    }


class FakeGateway:
    """Answers like the gateway; records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.role = "job_seeker"
        self.overrides: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}
        self.expires_in = 900
        self.refreshes = 0

    def json_body(self, request: httpx.Request) -> Any:
        return json.loads(request.content) if request.content else None

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        for (m, pattern), answer in self.overrides.items():
            if m == method and re.fullmatch(pattern, path):
                return answer(request)
        data = self.answer(method, path, request)
        if isinstance(data, httpx.Response):
            return data
        if data is None:
            return httpx.Response(204)
        return httpx.Response(201 if method == "POST" and path in CREATED else 200, json=data)

    def tokens(self) -> dict[str, Any]:
        return {"access_token": f"access-{uuid.uuid4().hex}", "refresh_token": f"refresh-{uuid.uuid4().hex}",
                "token_type": "bearer", "expires_in": self.expires_in}

    def answer(self, method: str, path: str, request: httpx.Request) -> Any:
        me = {"id": "u1", "email": "ines@exemple.fr", "display_name": "Inès", "role": self.role,
              "agency_code": None if self.role == "company" else "HDF-LILLE", "bio": "", "topics": [],
              "created_at": NOW.isoformat()}
        page = lambda items: {"items": items, "next_cursor": None}  # noqa: E731
        event = {"id": "e1", "title": "Atelier CV", "description": "Venez avec votre CV.", "kind": "workshop",
                 "starts_at": (NOW + timedelta(days=3)).isoformat(), "ends_at": (NOW + timedelta(days=3, hours=2)).isoformat(),
                 "location": "Agence de Lille", "online_url": None, "capacity": 2, "agency_code": "HDF-LILLE",
                 "topics": [], "organizer": {"id": "u9", "display_name": "Entreprise"}, "status": "scheduled",
                 "registered_count": 1, "waitlist_count": 0, "seats_left": 1, "created_at": NOW.isoformat(),
                 "my_registration": None}
        figures = {"active_users": 12, "new_members": 3, "posts": 20, "questions": 8, "answered_question_ratio": 0.75,
                   "answered_within_24h_ratio": 0.5, "median_minutes_to_first_answer": 42.0,
                   "p90_minutes_to_first_answer": 300.0, "peer_answer_ratio": 0.6, "members_with_interaction_ratio": 0.4,
                   "distinct_peers_per_member": 1.5, "retention_30d_ratio": 0.3, "event_registrations": 5,
                   "event_fill_rate": 0.8, "event_no_show_rate": 0.1, "mentoring_matches": 1,
                   "median_hours_to_mentoring_match": 30.0,
                   "moderation": {"cases_opened": 2, "median_minutes_to_decision": 10.0, "auto_held_ratio": 0.1,
                                  "appeals_overturned_ratio": None}}
        routes: list[tuple[str, str, Callable[[], Any]]] = [
            ("POST", r"/v1/auth/token", self.tokens),
            ("POST", r"/v1/auth/refresh", lambda: (setattr(self, "refreshes", self.refreshes + 1), self.tokens())[1]),
            ("POST", r"/v1/auth/logout", lambda: None),
            ("POST", r"/v1/auth/register", lambda: {"id": "u1", "email": "x@exemple.fr", "display_name": "Inès",
                                                    "role": "job_seeker", "agency_code": "HDF-LILLE"}),
            ("GET", r"/v1/me", lambda: me),
            ("PATCH", r"/v1/me", lambda: {**me, **self.json_body(request)}),
            ("GET", r"/v1/me/export", lambda: {"identity": me}),
            ("DELETE", r"/v1/me", lambda: httpx.Response(202)),
            ("GET", r"/v1/users/[\w-]+", lambda: {"id": "u2", "display_name": "Hugo", "role": "job_seeker",
                                                   "agency_code": "HDF-LILLE", "bio": "Cariste"}),
            ("GET", r"/v1/topics", lambda: [{"slug": "logistique", "label": "Logistique", "kind": "sector"},
                                            {"slug": "entretien", "label": "Entretien d'embauche", "kind": "theme"},
                                            {"slug": "N1101", "label": "Conduite d'engins", "kind": "rome"}]),
            ("GET", r"/v1/agencies", lambda: [{"code": "HDF-LILLE", "name": "Lille", "region": "Hauts-de-France"}]),
            ("GET", r"/v1/notifications", lambda: {**page([{"id": "n1", "type": "comment_on_post", "title": "Nouvelle réponse",
                                                            "body": "Hugo a répondu.", "link": "/v1/posts/p1",
                                                            "created_at": NOW.isoformat(), "read": False}]),
                                                   "unread_count": 1}),
            ("POST", r"/v1/notifications/[\w-]+/read", lambda: None),
            ("POST", r"/v1/notifications/read-all", lambda: None),
            ("GET", r"/v1/notifications/preferences", lambda: {"channels": {"comment_on_post": {"in_app": True, "email": False},
                                                                            "reaction": {"in_app": True, "email": False}},
                                                               "digest": "weekly"}),
            ("PUT", r"/v1/notifications/preferences", lambda: self.json_body(request)),
            ("GET", r"/v1/feed", lambda: page([post(i) for i in range(1, 21)])),
            ("GET", r"/v1/posts", lambda: page([post(i) for i in range(1, 4)])),
            ("POST", r"/v1/posts", lambda: {**post(99), "status": "pending"}),
            ("GET", r"/v1/posts/[\w-]+", lambda: post(1, details={"rome_code": "N1101", "skills": ["CACES"], "hiring": True},
                                                      kind="job_info")),
            ("PATCH", r"/v1/posts/[\w-]+", lambda: post(1)),
            ("DELETE", r"/v1/posts/[\w-]+", lambda: None),
            ("GET", r"/v1/posts/[\w-]+/comments", lambda: page([{"id": "c1", "post_id": "p1", "body": "Voici ma réponse.",
                                                                 "author": {"id": "u2", "display_name": "Hugo"},
                                                                 "status": "published", "created_at": NOW.isoformat(),
                                                                 "accepted": False, "validated_by_advisor": False}])),
            ("POST", r"/v1/posts/[\w-]+/comments", lambda: {"id": "c2", "status": "pending"}),
            ("POST", r"/v1/posts/[\w-]+/reactions", lambda: None),
            ("DELETE", r"/v1/posts/[\w-]+/reactions/\w+", lambda: None),
            ("POST", r"/v1/posts/[\w-]+/accept", lambda: post(1)),
            ("POST", r"/v1/posts/[\w-]+/pin", lambda: None),
            ("POST", r"/v1/reports", lambda: {"id": "r1"}),
            ("GET", r"/v1/events", lambda: page([event])),
            ("GET", r"/v1/events/[\w-]+", lambda: event),
            ("GET", r"/v1/events/[\w-]+/registrations", lambda: page([])),
            ("POST", r"/v1/events/[\w-]+/registrations", lambda: {"status": "waitlisted", "position": 1}),
            ("DELETE", r"/v1/events/[\w-]+/registrations/me", lambda: None),
            ("GET", r"/v1/events/[\w-]+/ics", lambda: httpx.Response(200, content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                                                     headers={"content-type": "text/calendar"})),
            ("POST", r"/v1/events", lambda: {**event, "id": "e2"}),
            ("GET", r"/v1/me/events", lambda: page([{"id": "r1", "status": "waitlisted", "position": 2, "event": event}])),
            ("GET", r"/v1/mentors", lambda: page([{"id": "m1", "user_id": "u9", "display_name": "Sarah", "topics": ["logistique"],
                                                   "bio": "Responsable d'entrepôt", "capacity": 3, "active_mentorships": 1,
                                                   "seats_left": 2, "created_at": NOW.isoformat()}])),
            ("POST", r"/v1/mentors", lambda: {"id": "m2"}),
            ("GET", r"/v1/mentoring/requests", lambda: page([{"id": "q1", "status": "pending",
                                                              "mentor": {"id": "m1", "user_id": "u9", "display_name": "Sarah"},
                                                              "mentee": {"id": "u1", "display_name": "Inès"}, "message": "Bonjour",
                                                              "created_at": NOW.isoformat(), "accepted_at": None, "ends_at": None,
                                                              "ended_at": None, "my_role": "mentee"}])),
            ("POST", r"/v1/mentoring/requests", lambda: {"id": "q2", "status": "pending"}),
            ("GET", r"/v1/moderation/queue", lambda: page([{"id": "k1", "target_type": "post", "target_id": "p1",
                                                            "agency_code": "HDF-LILLE", "reasons": ["spam"], "source": "reports",
                                                            "excerpt": "Achetez maintenant", "created_at": NOW.isoformat(),
                                                            "opened_at": NOW.isoformat(), "author_id": "u2", "status": "open"}])),
            ("POST", r"/v1/moderation/cases/[\w-]+/decision", lambda: {"id": "k1"}),
            ("POST", r"/v1/moderation/sanctions", lambda: {"id": "s1"}),
            ("GET", r"/v1/moderation/audit", lambda: page([{"id": "a1", "at": NOW.isoformat(), "actor_id": None,
                                                            "actor_role": "system", "action": "hide", "target_type": "post",
                                                            "target_id": "p1", "agency_code": "HDF-LILLE", "case_id": "k1",
                                                            "sanction_id": None, "reason": "3 signalements"}])),
            ("GET", r"/v1/analytics/kpis", lambda: {**figures, "agency": "HDF-LILLE", "region": None,
                                                    "from": (NOW.date() - timedelta(days=29)).isoformat(), "to": NOW.date().isoformat()}),
            ("GET", r"/v1/analytics/kpis/daily", lambda: {"agency": "HDF-LILLE", "region": None, "from": "2026-01-01", "to": "2026-01-03",
                                                          "items": [{**figures, "date": f"2026-01-0{d}"} for d in (1, 2, 3)],
                                                          "next_cursor": None}),
            ("POST", r"/v1/invitations", lambda: {"code": "INVITE123", "role": "job_seeker", "agency_code": "HDF-LILLE",
                                                  "expires_at": NOW.isoformat(), "max_uses": 1}),
            ("POST", r"/v1/agencies", lambda: {"code": "BRE-RENNES", "name": "Rennes", "region": "Bretagne"}),
        ]
        for m, pattern, make in routes:
            if m == method and re.fullmatch(pattern, path):
                return make()
        return httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "Introuvable."})


CREATED = {"/v1/posts", "/v1/reports", "/v1/events", "/v1/auth/register", "/v1/mentors", "/v1/mentoring/requests",
           "/v1/invitations", "/v1/agencies", "/v1/moderation/sanctions"}


@pytest.fixture
def fake_gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def web_client(fake_gateway):
    app = create_app(WebSettings(web_cookie_secret="x" * 40))
    app.state.gateway = Gateway("http://gateway.test", 5, transport=httpx.MockTransport(fake_gateway.handler))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def signed_in(web_client, fake_gateway):
    """`signed_in(role)`: the client signed in as a member of that role; returns a CSRF token."""

    def sign_in(role: str = "job_seeker") -> str:
        fake_gateway.role = role
        page = web_client.get("/connexion")
        answer = web_client.post("/connexion", data={"email": "ines@exemple.fr", "password": "secret",
                                                     "csrf_token": csrf_of(page.text), "suite": "/"})
        assert answer.status_code == 303, answer.text
        return csrf_of(web_client.get("/profil").text)

    return sign_in
