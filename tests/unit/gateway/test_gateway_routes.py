"""Each route validates, checks the role, and calls the right RPC."""

from __future__ import annotations

import pytest

AGENCY = {"code": "75001", "name": "Paris 1", "region": "Île-de-France"}
TOKENS = {"access_token": "a", "refresh_token": "r", "token_type": "bearer", "expires_in": 900}


def test_list_agencies_is_anonymous(client, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = [AGENCY]
    response = client.get("/v1/agencies")
    assert response.status_code == 200
    assert response.json() == [AGENCY]
    call = fake_rpc.last()
    assert (call.service, call.method, call.args) == ("identity", "list_agencies", ())
    assert not {"caller_id", "caller_role", "caller_agency"} & call.context.keys()


def test_admin_creates_agency(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "create_agency")] = AGENCY
    response = client.post("/v1/agencies", json=AGENCY, headers=auth("admin", agency=None))
    assert response.status_code == 201
    assert response.json() == AGENCY
    assert fake_rpc.last().args == (AGENCY,)


def test_register(client, fake_rpc):
    user = {"id": "u1", "email": "a@b.fr", "display_name": "Ali", "role": "job_seeker", "agency_code": "75001"}
    fake_rpc.replies[("identity", "register")] = user
    body = {"invitation_code": "INV", "email": "a@b.fr", "password": "un mot de passe long", "display_name": "Ali"}
    response = client.post("/v1/auth/register", json=body)
    assert response.status_code == 201
    assert response.json() == user
    assert fake_rpc.last().method == "register"
    assert fake_rpc.last().args == (body,)


def test_login_passes_client_key_and_user_agent_and_is_not_cached(client, fake_rpc):
    fake_rpc.replies[("identity", "login")] = TOKENS
    body = {"email": "a@b.fr", "password": "secret secret"}
    response = client.post("/v1/auth/token", json=body, headers={"User-Agent": "Firefox/128.0"})
    assert response.status_code == 200
    assert response.json() == TOKENS
    assert response.headers["cache-control"] == "no-store"
    call = fake_rpc.last()
    assert call.method == "login"
    assert call.args == (body, "testclient", "Firefox/128.0")


@pytest.mark.parametrize(("address", "key"), [
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one subscriber's /64 is one client
    ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.4", "198.51.100.4"),
    ("198.51.100.4", "198.51.100.4"),
])
def test_login_counts_a_client_by_its_resolved_address_and_ipv6_by_its_64(settings, fake_rpc, address, key):
    from starlette.testclient import TestClient

    from gateway.app import create_app

    fake_rpc.replies[("identity", "login")] = TOKENS
    with TestClient(create_app(settings, rpc_client=fake_rpc), client=(address, 50000)) as client:
        assert client.post("/v1/auth/token", json={"email": "a@b.fr", "password": "secret secret"}).status_code == 200
    assert fake_rpc.last().args[1] == key


def test_login_forwards_the_device_token_and_returns_a_new_one(client, fake_rpc):
    fake_rpc.replies[("identity", "login")] = {**TOKENS, "device_token": "d1.new"}
    body = {"email": "a@b.fr", "password": "secret secret", "device_token": "d1.old"}
    response = client.post("/v1/auth/token", json=body)
    assert response.status_code == 200 and response.json()["device_token"] == "d1.new"
    assert fake_rpc.last().args[0] == body


def test_refresh(client, fake_rpc):
    fake_rpc.replies[("identity", "refresh")] = TOKENS
    response = client.post("/v1/auth/refresh", json={"refresh_token": "r1"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert fake_rpc.last().args == ({"refresh_token": "r1"},)


def test_logout_without_access_token(client, fake_rpc):
    response = client.post("/v1/auth/logout", json={"refresh_token": "r1"})
    assert response.status_code == 204
    assert response.content == b""
    call = fake_rpc.last()
    assert (call.method, call.args) == ("logout", ({"refresh_token": "r1"},))


def test_logout_with_access_token_forwards_caller(client, fake_rpc, auth):
    response = client.post("/v1/auth/logout", json={"refresh_token": "r1"}, headers=auth(sub="u9"))
    assert response.status_code == 204
    assert fake_rpc.last().context["caller_id"] == "u9"


def test_logout_with_invalid_access_token_is_401(client, fake_rpc, assert_problem):
    response = client.post(
        "/v1/auth/logout", json={"refresh_token": "r1"}, headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401)
    assert fake_rpc.calls == []


def test_get_user_passes_path_id(client, fake_rpc, auth):
    profile = {"id": "u2", "display_name": "B", "role": "advisor", "agency_code": "75001", "bio": None}
    fake_rpc.replies[("identity", "get_user")] = profile
    response = client.get("/v1/users/u2", headers=auth())
    assert response.status_code == 200
    assert response.json() == profile
    assert fake_rpc.last().args == ("u2",)


def test_get_user_requires_token(client, fake_rpc, assert_problem):
    assert_problem(client.get("/v1/users/u2"), 401)
    assert fake_rpc.calls == []


def test_list_topics_is_anonymous(client, fake_rpc):
    topics = [{"slug": "M1805", "label": "Études et développement informatique", "kind": "rome"}]
    fake_rpc.replies[("posts", "list_topics")] = topics
    response = client.get("/v1/topics")
    assert response.status_code == 200
    assert response.json() == topics
    assert (fake_rpc.last().service, fake_rpc.last().method) == ("posts", "list_topics")


def test_create_post(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = lambda data: {"id": "p1", "status": "pending", **data}
    body = {"kind": "question", "title": "CV ?", "body": "Comment présenter un trou ?", "topics": ["cv"]}
    response = client.post("/v1/posts", json=body, headers=auth("job_seeker", sub="u1"))
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    call = fake_rpc.last()
    assert call.args == (body,)
    assert call.context["caller_id"] == "u1"


def test_company_publishes_job_info_with_details(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = {"id": "p2", "status": "pending"}
    details = {"rome_code": "M1805", "skills": ["Python"], "hiring": True}
    body = {"kind": "job_info", "title": "Développeur", "body": "Fiche", "topics": ["M1805"], "details": details}
    response = client.post("/v1/posts", json=body, headers=auth("company", agency=None))
    assert response.status_code == 201
    sent = fake_rpc.last().args[0]
    assert sent["details"]["rome_code"] == "M1805"
    assert sent["details"]["hiring"] is True
    assert "video_url" not in sent


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"kind": "video", "title": "Vidéo", "body": "B", "topics": []}, ["body", "video_url"]),
        ({"kind": "question", "title": "Question", "body": "B", "video_url": "https://v.fr/1"}, ["body", "video_url"]),
        ({"kind": "job_info", "title": "Fiche", "body": "B", "details": {"rome_code": "Z9999"}},
         ["body", "details", "rome_code"]),
        ({"kind": "poem", "title": "Poème", "body": "B"}, ["body", "kind"]),
        ({"kind": "question", "title": "", "body": "B"}, ["body", "title"]),
        # The posts service's rule: at least 3 characters once trimmed.
        ({"kind": "question", "title": " Qu ", "body": "B"}, ["body", "title"]),
        ({"kind": "question", "title": "Question", "body": " \n "}, ["body", "body"]),
        ({"kind": "job_info", "title": "Fiche", "body": "B", "details": {"hiring": None}}, ["body", "details", "hiring"]),
    ],
    ids=["video-without-url", "url-on-question", "bad-rome-code", "unknown-kind", "empty-title", "short-title",
         "blank-body", "hiring-null"],
)
def test_create_post_validation(client, fake_rpc, auth, body, loc, assert_problem):
    problem = assert_problem(client.post("/v1/posts", json=body, headers=auth("advisor")), 422)
    assert loc in [error["loc"] for error in problem["errors"]]
    assert fake_rpc.calls == []


def test_get_post(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "get_post")] = {"id": "p1", "status": "published"}
    response = client.get("/v1/posts/p1", headers=auth())
    assert response.status_code == 200
    assert fake_rpc.last().args == ("p1",)


def test_get_me(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "get_me")] = {"id": "u1"}
    assert client.get("/v1/me", headers=auth()).json() == {"id": "u1"}
    assert fake_rpc.last().args == ()


def test_posts_routes_are_tried_right_after_the_operations_ones():
    # FastAPI tries routes one by one: posts last cost a read some fifty
    # regular expressions, a fifth of its gateway CPU (issue 17).
    from gateway.routes import all_routers

    assert [router.tags[0] for router in all_routers()[:2]] == ["operations", "posts"]


def test_every_route_answers_its_own_paths_whatever_the_routers_order():
    """No route of an earlier router takes a path that belongs to a route of a
    later one: the routers' order is a matter of speed only."""
    import re

    from starlette.routing import Match

    from gateway.routes import all_routers

    routes = [route for router in all_routers() for route in router.routes if hasattr(route, "methods")]
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "0b7f6a9e-3c1d-4c57-9a55-1e2f3a4b5c6d", route.path)
        for method in route.methods:
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
            assert first is route, f"{method} {path}: {first.path} of {first.tags} answers, not {route.path}"
