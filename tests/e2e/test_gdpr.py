"""GDPR rights end to end: a member's export gathers what every service
holds; erasure removes their personal data from every service's database."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from stack.services import SERVICES
from stack.testing import db_connect, wait_for
from tests.ops.test_dead_letter_erasure import park, parked_ids, parked_mentioning

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def join(http, admin_token, role, agency, name, addressed=False):
    email = f"{uuid.uuid4().hex[:10]}@exemple.fr"
    invitation = {"role": role, "agency_code": agency, **({"email": email} if addressed else {})}
    code = http.post("/v1/invitations", json=invitation, headers=bearer(admin_token)).json()["code"]
    password = "une phrase de passe assez longue"
    user = http.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": password,
                                                 "display_name": name})
    assert user.status_code == 201, user.text
    token = http.post("/v1/auth/token", json={"email": email, "password": password}).json()["access_token"]
    return {**user.json(), "token": token}


def published(http, token, post_id):
    return http.get(f"/v1/posts/{post_id}", headers=bearer(token)).json().get("status") == "published"


def rows_mentioning(platform, needles: list[str]) -> list[str]:
    """Every table row, in every service's database, whose text holds a needle."""
    found = []
    for service in SERVICES:
        with db_connect(platform, service) as conn:
            tables = [t for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )]
            for table in tables:
                for needle in needles:
                    count = conn.execute(
                        f'SELECT count(*) FROM "{table}" t WHERE row_to_json(t)::text ILIKE %s', (f"%{needle}%",)
                    ).fetchone()[0]
                    if count:
                        found.append(f"{service}.{table}: {needle!r} x{count}")
    return found


def test_export_then_erasure_everywhere(http, platform):
    admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                              "password": platform.platform_admin_password}).json()["access_token"]
    marker = uuid.uuid4().hex[:8]
    name = f"Zoé{marker}"
    target = join(http, admin, "job_seeker", "HDF-ROUBAIX", name, addressed=True)
    peer = join(http, admin, "job_seeker", "HDF-ROUBAIX", "Yanis")
    mentor = join(http, admin, "company", None, "Entreprise Soudure")
    me = bearer(target["token"])

    assert http.patch("/v1/me", json={"bio": f"Bio {marker}", "topics": ["H2913"]}, headers=me).status_code == 200
    post = http.post("/v1/posts", json={"kind": "question", "title": "Soudure TIG ou MIG ?",
                                        "body": "Laquelle apprendre en premier ?", "topics": ["H2913"]}, headers=me).json()
    wait_for(lambda: published(http, target["token"], post["id"]), timeout=5, message="the post to be published")
    assert http.post(f"/v1/posts/{post['id']}/comments", json={"body": "Le MIG est plus simple pour commencer."},
                     headers=bearer(peer["token"])).status_code == 201
    peer_post = http.post("/v1/posts", json={"kind": "discussion", "title": "Bilan de la semaine",
                                             "body": "Trois entretiens cette semaine !", "topics": []},
                          headers=bearer(peer["token"])).json()
    wait_for(lambda: published(http, peer["token"], peer_post["id"]), timeout=5, message="the peer's post")
    assert http.post(f"/v1/posts/{peer_post['id']}/comments", json={"body": "Bravo, continue comme ça !"},
                     headers=me).status_code == 201
    assert http.post("/v1/reports", json={"target_type": "post", "target_id": peer_post["id"], "reason": "other",
                                          "detail": f"Signalé par erreur {marker}"}, headers=me).status_code == 201

    starts = datetime.now(timezone.utc) + timedelta(days=3)
    event = http.post("/v1/events", json={
        "title": "Atelier CV", "description": "Retravailler son CV", "kind": "workshop",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Agence Roubaix", "capacity": 10, "agency_code": "HDF-ROUBAIX", "topics": []}, headers=bearer(admin))
    assert event.status_code == 201, event.text
    wait_for(lambda: http.get(f"/v1/events/{event.json()['id']}", headers=me).status_code == 200, timeout=5,
             message="the event's texts to be screened")
    assert http.post(f"/v1/events/{event.json()['id']}/registrations", headers=me).status_code == 201
    mentor_profile = http.post("/v1/mentors", json={"topics": ["H2913"], "bio": "Soudeur depuis 20 ans", "capacity": 3},
                               headers=bearer(mentor["token"]))
    assert mentor_profile.status_code == 201, mentor_profile.text
    request = http.post("/v1/mentoring/requests", json={"mentor_id": mentor_profile.json()["id"],
                                                        "message": f"Bonjour, je suis {name} {marker}"}, headers=me)
    assert request.status_code == 201, request.text
    wait_for(lambda: http.get("/v1/notifications", headers=me).json()["items"], timeout=10,
             message="a notification for the comment on the target's post")

    def peer_notified() -> list[str]:
        return [n["body"] for n in http.get("/v1/notifications", headers=bearer(peer["token"])).json()["items"]]
    wait_for(lambda: any(b.startswith(f"{name} a commenté") for b in peer_notified()), timeout=10,
             message="the peer's notification naming the target")

    export = http.get("/v1/me/export", headers=me)
    assert export.status_code == 200, export.text
    services = export.json()["services"]
    assert set(services) == set(SERVICES)
    text = str(services)
    assert target["email"] in str(services["identity"])
    assert [i["email"] for i in services["identity"]["invitations"]] == [target["email"]]
    assert post["id"] in str(services["posts"]) and request.json()["id"] in str(services["mentoring"])
    assert event.json()["id"] in str(services["events"]) and marker in text

    # A copy of the target's registration parked in the dead letters (a consumer that kept failing on it).
    parked = park(platform.amqp_uri, "identity.user_registered",
                  {"user_id": target["id"], "email": target["email"], "display_name": name})
    peers_parked = park(platform.amqp_uri, "identity.user_registered",
                        {"user_id": peer["id"], "email": peer["email"], "display_name": "Yanis"})

    assert http.delete("/v1/me", headers=me).status_code == 202
    needles = [target["email"], name, f"Bio {marker}", marker]
    try:
        wait_for(lambda: not rows_mentioning(platform, needles), timeout=20, interval=0.5, message="erasure")
    except AssertionError:
        pytest.fail("personal data left after erasure: " + "; ".join(rows_mentioning(platform, needles)))
    wait_for(lambda: parked not in parked_ids(platform.amqp_uri), timeout=10, message="the dead letters' erasure")
    assert peers_parked in parked_ids(platform.amqp_uri)
    assert parked_mentioning(platform.amqp_uri, needles + [target["id"]]) == []  # nothing parked names them
    assert http.get(f"/v1/posts/{post['id']}", headers=bearer(peer["token"])).json()["author"]["display_name"] != name
    # Texts name people when read: the peer's notification now names a deleted member, and only it changed.
    assert any(b.startswith("Membre supprimé a commenté") for b in peer_notified())
    assert not any(name in b for b in peer_notified())
    by_old_id = http.get("/v1/posts", params={"author": target["id"]}, headers=bearer(peer["token"]))
    assert by_old_id.status_code == 200 and by_old_id.json()["items"] == []  # content moved to an erased-author id
