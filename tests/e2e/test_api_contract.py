"""Every route of the OpenAPI document, answered by the real platform: each
answer (status, media type, body) must be what the document the gateway
serves says for that route and status (`http` checks every answer, see
conftest.py). The tour goes through every operation at least once, and
through a success for each (but creating an agency, which would change the
pilot's eleven for other tests: its 409 is checked instead)."""
import hashlib
import secrets
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from stack.testing import db_connect, wait_for
from tests.e2e.conftest import MEMBER_PASSWORD, bearer

pytestmark = pytest.mark.e2e

AGENCY = "IDF-SAINT-DENIS"  # no other test writes here


def ok(response, status: int = 200):
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


class Tour:
    def __init__(self, http, platform, join):
        self.http = http
        self.join = join
        self.platform = platform
        self.admin = bearer(self.login(platform.platform_admin_email, platform.platform_admin_password)["access_token"])

    def login(self, email: str, password: str = MEMBER_PASSWORD) -> dict:
        return ok(self.http.post("/v1/auth/token", json={"email": email, "password": password}))

    def member(self, role: str, name: str, agency: str | None = AGENCY) -> tuple[dict, dict]:
        user, headers, _ = self.join(role, name, agency)
        return user, headers

    def post(self, headers: dict, **fields) -> dict:
        return ok(self.http.post("/v1/posts", json={"kind": "question", "topics": [], **fields}, headers=headers), 201)

    def status_of(self, headers: dict, post_id: str) -> str:
        return ok(self.http.get(f"/v1/posts/{post_id}", headers=headers))["status"]


def test_every_route_answers_as_the_openapi_document_says(http, platform, services, api_contract, join):
    tour = Tour(http, platform, join)
    operations(http)
    people = identity(tour)
    question = posts(tour, people)
    moderation(tour, people)
    notifications(tour, people, question)
    events(tour, people)
    mentoring(tour, people)
    analytics(tour, people)

    assert api_contract.unseen() == []
    without_success = sorted(op for op, statuses in api_contract.seen.items() if not any(200 <= s < 300 for s in statuses))
    assert without_success == ["POST /v1/agencies"]


def operations(http):
    ok(http.get("/healthz"))
    ok(http.get("/readyz"))
    assert http.get("/metrics").status_code == 200


def identity(tour: Tour) -> dict:
    http = tour.http
    agencies = ok(http.get("/v1/agencies"))
    taken = {"code": AGENCY, "name": "Saint-Denis", "region": "Île-de-France"}
    assert http.post("/v1/agencies", json=taken, headers=tour.admin).status_code == 409
    assert AGENCY in {a["code"] for a in agencies}

    seeker, seeker_h, seeker_email = tour.join("job_seeker", "Yasmine", AGENCY)
    advisor, advisor_h = tour.member("advisor", "M. Diallo")
    company, company_h = tour.member("company", "Boulangerie Martin", agency=None)
    other, other_h = tour.member("job_seeker", "Hugo")
    ok(http.post("/v1/invitations", json={"role": "job_seeker"}, headers=advisor_h), 201)

    pair = tour.login(seeker_email)
    fresh = ok(http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    ok(http.post("/v1/auth/logout", json={"refresh_token": fresh["refresh_token"]}), 204)

    ok(http.get("/v1/me", headers=seeker_h))
    ok(http.patch("/v1/me", json={"bio": "Boulanger en reconversion", "topics": ["numerique"]}, headers=seeker_h))
    ok(http.get(f"/v1/users/{advisor['id']}", headers=seeker_h))
    assert set(ok(http.get("/v1/me/export", headers=seeker_h))["services"]) >= {"identity", "posts"}

    accounts(tour, seeker_email, seeker_h, advisor_h)

    _, leaving_h = tour.member("job_seeker", "Partant")
    ok(http.delete("/v1/me", headers=leaving_h), 202)
    return {"seeker": (seeker, seeker_h), "advisor": (advisor, advisor_h), "company": (company, company_h),
            "other": (other, other_h)}


def link_token(platform, user_id: str, purpose: str) -> str:
    """A link token as identity e-mails them (the journey through SMTP is
    tests/e2e/test_accounts.py): here only the routes' answers matter."""
    token = secrets.token_urlsafe(32)
    with db_connect(platform, "identity") as conn:
        conn.execute("INSERT INTO auth_tokens (token_hash, purpose, user_id, expires_at, created_at) "
                     "VALUES (%s, %s, %s, now() + interval '10 minutes', now())",
                     (hashlib.sha256(token.encode()).hexdigest(), purpose, user_id))
    return token


def accounts(tour: Tour, seeker_email: str, seeker_h: dict, advisor_h: dict) -> None:
    http = tour.http
    tour.login(seeker_email)  # a second login, ended from the first
    sessions = ok(http.get("/v1/me/sessions", params={"limit": 10}, headers=seeker_h))["items"]
    [other_id] = [s["id"] for s in sessions if not s["current"]]
    ok(http.delete(f"/v1/me/sessions/{other_id}", headers=seeker_h), 204)

    ok(http.get("/v1/invitations", params={"active": "true"}, headers=advisor_h))
    spare = ok(http.post("/v1/invitations", json={"role": "job_seeker"}, headers=advisor_h), 201)["code"]
    ok(http.delete(f"/v1/invitations/{spare}", headers=advisor_h), 204)

    account, account_h, account_email = tour.join("job_seeker", "Camille", AGENCY)
    ok(http.post("/v1/me/password", json={"current_password": MEMBER_PASSWORD,
                                          "new_password": MEMBER_PASSWORD + " changé"}, headers=account_h), 204)
    ok(http.post("/v1/auth/password-reset", json={"email": account_email}), 202)
    ok(http.post("/v1/auth/email-link", json={"email": account_email}), 202)
    reset = link_token(tour.platform, account["id"], "password_reset")
    ok(http.post("/v1/auth/password-reset/confirm", json={"token": reset, "new_password": MEMBER_PASSWORD}), 204)
    assert http.post("/v1/auth/password-reset/confirm",
                     json={"token": reset, "new_password": MEMBER_PASSWORD}).status_code == 400
    ok(http.post("/v1/auth/email-link/confirm", json={"token": link_token(tour.platform, account["id"], "email_link")}))


def posts(tour: Tour, people: dict) -> dict:
    http = tour.http
    (seeker, seeker_h), (_, advisor_h), (_, company_h), (_, other_h) = (
        people[k] for k in ("seeker", "advisor", "company", "other"))
    ok(http.get("/v1/topics"))
    ok(http.post("/v1/topics", json={"slug": f"contrat-{uuid.uuid4().hex[:6]}", "label": "Contrat", "kind": "theme"},
                 headers=tour.admin), 201)

    question = tour.post(seeker_h, title="Devenir boulanger à 40 ans", body="Par où commencer ?", topics=["numerique"])
    tour.post(company_h, kind="job_info", title="Boulanger", body="Le métier", details={
        "rome_code": "D1102", "skills": ["Pétrissage"], "hiring": True})
    tour.post(advisor_h, kind="video", title="Une journée au fournil", body="Reportage",
              video_url="https://video.exemple.fr/fournil")
    wait_for(lambda: tour.status_of(seeker_h, question["id"]) == "published", timeout=10, message="the question published")

    ok(http.get("/v1/posts", params={"q": "boulanger", "limit": 5}, headers=other_h))
    ok(http.get("/v1/posts", params={"author": seeker["id"]}, headers=seeker_h))
    ok(http.get("/v1/feed", headers=seeker_h))
    ok(http.patch(f"/v1/posts/{question['id']}", json={"body": "Par où commencer, à 40 ans ?"}, headers=seeker_h))
    wait_for(lambda: tour.status_of(seeker_h, question["id"]) == "published", timeout=10, message="the edit published")

    comment = ok(http.post(f"/v1/posts/{question['id']}/comments", json={"body": "Un CAP en un an."}, headers=advisor_h), 201)
    wait_for(lambda: [c for c in ok(http.get(f"/v1/posts/{question['id']}/comments", headers=other_h))["items"]
                      if c["id"] == comment["id"]], timeout=10, message="the comment published")
    ok(http.post(f"/v1/posts/{question['id']}/reactions", json={"type": "thanks"}, headers=other_h), 204)
    ok(http.delete(f"/v1/posts/{question['id']}/reactions/thanks", headers=other_h), 204)
    accepted = ok(http.post(f"/v1/posts/{question['id']}/accept", json={"comment_id": comment["id"]}, headers=seeker_h))
    assert accepted["accepted_comment_id"] == comment["id"]
    ok(http.post(f"/v1/posts/{question['id']}/pin", headers=advisor_h), 204)
    ok(http.delete(f"/v1/posts/{question['id']}/pin", headers=advisor_h), 204)

    gone = tour.post(other_h, title="Doublon", body="Je supprime")
    ok(http.delete(f"/v1/posts/{gone['id']}", headers=other_h), 204)
    return question


def moderation(tour: Tour, people: dict) -> None:
    http = tour.http
    (_, seeker_h), (_, advisor_h), (other, other_h) = (people[k] for k in ("seeker", "advisor", "other"))
    held = tour.post(other_h, kind="discussion", title="Mon numéro", body="Appelez-moi au 06 12 34 56 78")
    wait_for(lambda: tour.status_of(other_h, held["id"]) == "held", timeout=10, message="the post held")

    def queued():
        return next((c for c in ok(http.get("/v1/moderation/queue", headers=advisor_h))["items"]
                     if c["target_id"] == held["id"]), None)

    case = wait_for(queued, timeout=10, message="the case in the queue")
    ok(http.post(f"/v1/moderation/cases/{case['id']}/decision", json={"action": "reject", "reason": "Numéro personnel"},
                 headers=advisor_h))
    ok(http.post("/v1/moderation/appeals", json={"case_id": case["id"], "text": "Je le retire."}, headers=other_h), 201)
    ok(http.get("/v1/moderation/audit", params={"target_id": held["id"]}, headers=advisor_h))

    reported = tour.post(seeker_h, kind="discussion", title="Un conseil", body="Lisez les offres le matin.")
    wait_for(lambda: tour.status_of(seeker_h, reported["id"]) == "published", timeout=10, message="the post published")
    ok(http.post("/v1/reports", json={"target_type": "post", "target_id": reported["id"], "reason": "other",
                                      "detail": "Pour voir"}, headers=other_h), 201)
    ok(http.post("/v1/moderation/sanctions", json={"user_id": other["id"], "type": "warn", "reason": "Rappel des règles"},
                 headers=advisor_h), 201)


def notifications(tour: Tour, people: dict, question: dict) -> None:
    http = tour.http
    _, seeker_h = people["seeker"]
    page = wait_for(lambda: ok(http.get("/v1/notifications", headers=seeker_h))["items"] and
                    ok(http.get("/v1/notifications", params={"unread": "true"}, headers=seeker_h)),
                    timeout=10, message="a notification for the question's author")
    ok(http.post(f"/v1/notifications/{page['items'][0]['id']}/read", headers=seeker_h), 204)
    ok(http.post("/v1/notifications/read-all", headers=seeker_h), 204)
    preferences = ok(http.get("/v1/notifications/preferences", headers=seeker_h))
    ok(http.put("/v1/notifications/preferences", json={**preferences, "digest": "daily"}, headers=seeker_h))
    with http.stream("GET", "/v1/notifications/stream", headers=seeker_h) as stream:
        assert stream.status_code == 200
        assert next(stream.iter_text()).startswith("retry:")


def events(tour: Tour, people: dict) -> None:
    http = tour.http
    (seeker, seeker_h), (_, advisor_h), (_, other_h) = (people[k] for k in ("seeker", "advisor", "other"))

    def create(starts: datetime, title: str) -> dict:
        return ok(http.post("/v1/events", headers=advisor_h, json={
            "title": title, "description": "À l'agence.", "kind": "info_session", "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(), "location": "Agence de Saint-Denis", "capacity": 5,
            "topics": ["numerique"]}), 201)

    def listed(event: dict) -> dict:
        """Members see an event once moderation let its texts through (issue 13)."""
        wait_for(lambda: http.get(f"/v1/events/{event['id']}", headers=seeker_h).status_code == 200, timeout=5,
                 message="the event's texts to be screened")
        return event

    soon = listed(create(datetime.now(timezone.utc) + timedelta(seconds=6), "Réunion d'information"))
    later = listed(create(datetime.now(timezone.utc) + timedelta(days=20), "Forum de l'emploi"))
    ok(http.post(f"/v1/events/{soon['id']}/registrations", headers=seeker_h), 201)
    ok(http.post(f"/v1/events/{later['id']}/registrations", headers=other_h), 201)
    ok(http.get("/v1/events", params={"agency": AGENCY, "kind": "info_session"}, headers=seeker_h))
    ok(http.get(f"/v1/events/{later['id']}", headers=other_h))
    assert http.get(f"/v1/events/{later['id']}/ics", headers=other_h).status_code == 200
    ok(http.get(f"/v1/events/{later['id']}/registrations", headers=advisor_h))
    ok(http.get("/v1/me/events", headers=other_h))
    ok(http.delete(f"/v1/events/{later['id']}/registrations/me", headers=other_h), 204)
    ok(http.post(f"/v1/events/{later['id']}/cancel", json={"reason": "Salle indisponible"}, headers=advisor_h))

    # Attendance is noted once the event has started.
    time.sleep(max(0.0, (datetime.fromisoformat(soon["starts_at"]) - datetime.now(timezone.utc)).total_seconds()))
    wait_for(lambda: http.post(f"/v1/events/{soon['id']}/attendance", json={"user_id": seeker["id"], "attended": True},
                               headers=advisor_h).status_code == 200, timeout=10, message="attendance noted")


def seen_by_mentor(http, mentor_h: dict, request_id: str) -> None:
    """A mentor sees a request once moderation found its message clean (issue 13)."""
    wait_for(lambda: request_id in [r["id"] for r in http.get("/v1/mentoring/requests", params={"role": "mentor"},
                                                             headers=mentor_h).json()["items"]],
             timeout=5, message="the request's message to be screened")


def mentoring(tour: Tour, people: dict) -> None:
    http = tour.http
    (_, seeker_h), (_, company_h), (_, other_h) = (people[k] for k in ("seeker", "company", "other"))
    mentor = ok(http.post("/v1/mentors", json={"topics": ["numerique"], "bio": "Boulanger depuis 20 ans.", "capacity": 2},
                          headers=company_h), 201)
    ok(http.get("/v1/mentors", params={"topic": "numerique"}, headers=seeker_h))
    asked = ok(http.post("/v1/mentoring/requests", json={"mentor_id": mentor["id"], "message": "Bonjour !"},
                         headers=seeker_h), 201)
    seen_by_mentor(http, company_h, asked["id"])
    ok(http.post(f"/v1/mentoring/requests/{asked['id']}/accept", headers=company_h))
    ok(http.post(f"/v1/mentoring/requests/{asked['id']}/end", json={"reason": "Formation trouvée"}, headers=seeker_h))
    declined = ok(http.post("/v1/mentoring/requests", json={"mentor_id": mentor["id"], "message": "Et moi ?"},
                            headers=other_h), 201)
    seen_by_mentor(http, company_h, declined["id"])
    ok(http.post(f"/v1/mentoring/requests/{declined['id']}/decline", headers=company_h))
    ok(http.get("/v1/mentoring/requests", params={"role": "mentee"}, headers=seeker_h))


def analytics(tour: Tour, people: dict) -> None:
    http = tour.http
    _, advisor_h = people["advisor"]
    today = date.today().isoformat()
    ok(http.get("/v1/analytics/kpis", params={"from": today, "to": today}, headers=advisor_h))
    ok(http.get("/v1/analytics/kpis/daily", params={"region": "Île-de-France"}, headers=tour.admin))


def test_post_and_feed_reads_answer_304_while_unchanged(http, join):
    """ETag / If-None-Match through the real platform (docs/api.md, conditional reads)."""
    _, author, _ = join("job_seeker", "Autrice", AGENCY)
    _, reader, _ = join("job_seeker", "Lecteur", AGENCY)
    post = ok(http.post("/v1/posts", json={"kind": "question", "title": "Une question à relire",
                                           "body": "Comment relancer un recruteur sans insister ?", "topics": []},
                        headers=author), 201)
    wait_for(lambda: http.get(f"/v1/posts/{post['id']}", headers=reader).status_code == 200,
             timeout=15, message="the post to be published")
    for path in (f"/v1/posts/{post['id']}", "/v1/feed"):
        first = http.get(path, headers=reader)
        assert first.status_code == 200 and first.headers["etag"]
        again = http.get(path, headers={**reader, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    etag = http.get(f"/v1/posts/{post['id']}", headers=reader).headers["etag"]
    assert http.post(f"/v1/posts/{post['id']}/reactions", json={"type": "helpful"}, headers=reader).status_code == 204
    changed = http.get(f"/v1/posts/{post['id']}", headers={**reader, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["my_reactions"] == ["helpful"]
    assert changed.headers["etag"] != etag
