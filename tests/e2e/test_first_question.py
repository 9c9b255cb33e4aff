"""One real path end to end, over HTTP: a job seeker registers with an
invitation, logs in, asks a question; moderation screens it, it is
published, and analytics counts it."""
import json
import time
import uuid

import httpx
import pytest

from stack.testing import wait_for

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(http, email: str, password: str) -> str:
    response = http.post("/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_a_job_seekers_first_question_goes_through_the_platform(http, platform, rpc, admin, services):
    agencies = http.get("/v1/agencies").json()
    assert len(agencies) == 11 and {"code", "name", "region"} <= set(agencies[0])

    admin_token = login(http, platform.platform_admin_email, platform.platform_admin_password)
    invitation = http.post(
        "/v1/invitations", json={"role": "job_seeker", "agency_code": "IDF-MONTREUIL"}, headers=bearer(admin_token)
    )
    assert invitation.status_code == 201, invitation.text

    email = f"lea-{uuid.uuid4().hex[:6]}@exemple.fr"
    password = "ma recherche avance bien"
    registered = http.post(
        "/v1/auth/register",
        json={"invitation_code": invitation.json()["code"], "email": email, "password": password, "display_name": "Léa"},
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["role"] == "job_seeker" and registered.json()["agency_code"] == "IDF-MONTREUIL"

    token = login(http, email, password)
    me = http.get("/v1/me", headers=bearer(token)).json()
    assert me["email"] == email and me["display_name"] == "Léa"

    counted_before = rpc(admin).analytics.posts_per_agency().get("IDF-MONTREUIL", 0)
    request_id = uuid.uuid4().hex
    created = http.post(
        "/v1/posts",
        json={"kind": "question", "title": "Reconversion vers la logistique", "body": "Par où commencer ?", "topics": ["N1103"]},
        headers={**bearer(token), "X-Request-ID": request_id},
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    assert created.headers["X-Request-ID"] == request_id
    post_id = created.json()["id"]
    started = time.monotonic()

    def published():
        view = http.get(f"/v1/posts/{post_id}", headers=bearer(token)).json()
        return view if view["status"] == "published" else None

    view = wait_for(published, timeout=2.0, interval=0.05, message="the question to be published")
    assert time.monotonic() - started < 2.0
    assert view["author"] == {"id": registered.json()["id"], "display_name": "Léa"}
    assert view["topics"] == ["N1103"] and view["agency_code"] == "IDF-MONTREUIL"

    wait_for(
        lambda: rpc(admin).analytics.posts_per_agency().get("IDF-MONTREUIL", 0) == counted_before + 1,
        timeout=5,
        message="analytics to count the post",
    )

    # The request id given to the gateway is the correlation id of every
    # log line the request caused: RPC into posts, events into moderation and analytics.
    for name in ("posts", "moderation", "analytics"):
        lines = [json.loads(line) for line in services[name].logs().splitlines() if request_id in line]
        assert lines and all(line["correlation_id"] == request_id for line in lines), name
        assert {line["service"] for line in lines} == {name}

    # Each service counts its entrypoints for Prometheus.
    posts_metrics = httpx.get(services["posts"].metrics_url).text
    assert 'service_entrypoint_calls_total{entrypoint="create_post",kind="Rpc",outcome="success",service="posts"}' in posts_metrics
    moderation_metrics = httpx.get(services["moderation"].metrics_url).text
    assert 'entrypoint="on_post_created",kind="ReliableEventHandler",outcome="success"' in moderation_metrics
    assert "outbox_published_total" in moderation_metrics


def test_a_question_with_an_email_address_is_held_and_hidden_from_others(http, platform):
    admin_token = login(http, platform.platform_admin_email, platform.platform_admin_password)
    tokens = []
    for name in ("Sam", "Inès"):
        code = http.post(
            "/v1/invitations", json={"role": "job_seeker", "agency_code": "HDF-LILLE"}, headers=bearer(admin_token)
        ).json()["code"]
        email = f"{uuid.uuid4().hex[:8]}@exemple.fr"
        assert http.post(
            "/v1/auth/register",
            json={"invitation_code": code, "email": email, "password": "une phrase assez longue", "display_name": name},
        ).status_code == 201
        tokens.append(login(http, email, "une phrase assez longue"))
    author, other = tokens

    post_id = http.post(
        "/v1/posts",
        json={"kind": "question", "title": "Un conseil", "body": "Écrivez-moi à sam.dupont@exemple.fr", "topics": []},
        headers=bearer(author),
    ).json()["id"]
    held = wait_for(
        lambda: (v := http.get(f"/v1/posts/{post_id}", headers=bearer(author)).json())["status"] == "held" and v,
        timeout=5,
        message="the post to be held",
    )
    assert "adresse e-mail" in held["moderation_reason"]
    hidden = http.get(f"/v1/posts/{post_id}", headers=bearer(other))
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")


def test_operations_endpoints(http):
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200
    metrics = http.get("/metrics").text
    assert "http_requests_total" in metrics
    assert http.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert http.get("/v1/me").status_code == 401
