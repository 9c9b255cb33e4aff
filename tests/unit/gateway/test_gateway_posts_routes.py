"""Posts routes: paths, statuses, roles checked at the gateway, query validation."""
import pytest


def test_list_posts_passes_filters_and_page(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "list_posts")] = {"items": [], "next_cursor": None}
    response = client.get("/v1/posts?q=metiers&topic=N1103&kind=question&limit=5&cursor=abc", headers=auth())
    assert response.status_code == 200 and response.json() == {"items": [], "next_cursor": None}
    assert fake_rpc.last().args == (
        {"q": "metiers", "topic": "N1103", "kind": "question", "limit": 5, "cursor": "abc", "unanswered": False},
    )


def test_list_posts_can_ask_for_the_questions_still_waiting_for_an_answer(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "list_posts")] = {"items": [], "next_cursor": None}
    assert client.get("/v1/posts?kind=question&agency=HDF-LILLE&unanswered=true", headers=auth()).status_code == 200
    assert fake_rpc.last().args == ({"kind": "question", "agency": "HDF-LILLE", "unanswered": True, "limit": 20},)
    client.get("/v1/posts?unanswered=false", headers=auth())
    assert fake_rpc.last().args == ({"unanswered": False, "limit": 20},)


@pytest.mark.parametrize("query, loc", [("limit=0", "limit"), ("limit=101", "limit"), ("kind=poem", "kind")])
def test_list_posts_refuses_bad_queries(client, fake_rpc, auth, assert_problem, query, loc):
    problem = assert_problem(client.get(f"/v1/posts?{query}", headers=auth()), 422)
    assert ["query", loc] in [e["loc"] for e in problem["errors"]]
    assert fake_rpc.calls == []


def test_feed_defaults_to_twenty(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "feed")] = {"items": [], "next_cursor": None}
    assert client.get("/v1/feed", headers=auth()).status_code == 200
    assert fake_rpc.last().args == ({"limit": 20},)


def test_patch_refuses_fields_other_than_title_body_topics(client, fake_rpc, auth, assert_problem):
    problem = assert_problem(client.patch("/v1/posts/p1", json={"kind": "video"}, headers=auth()), 422)
    assert ["body", "kind"] in [e["loc"] for e in problem["errors"]]
    fake_rpc.replies[("posts", "edit_post")] = {"id": "p1", "status": "pending"}
    assert client.patch("/v1/posts/p1", json={"body": "Nouveau"}, headers=auth()).status_code == 200
    assert fake_rpc.last().args == ("p1", {"body": "Nouveau"})


def test_delete_post_is_204(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "remove_post")] = None
    response = client.delete("/v1/posts/p1", headers=auth())
    assert response.status_code == 204 and response.content == b""


def test_comments_and_reactions(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("posts", "add_comment")] = {"id": "c1", "status": "pending"}
    assert client.post("/v1/posts/p1/comments", json={"body": "Merci"}, headers=auth()).status_code == 201
    fake_rpc.replies[("posts", "add_reaction")] = None
    assert client.post("/v1/posts/p1/reactions", json={"type": "thanks"}, headers=auth()).status_code == 204
    assert_problem(client.post("/v1/posts/p1/reactions", json={"type": "love"}, headers=auth()), 422)
    fake_rpc.replies[("posts", "remove_reaction")] = None
    assert client.delete("/v1/posts/p1/reactions/thanks", headers=auth()).status_code == 204
    assert fake_rpc.last().args == ("p1", "thanks")
    assert_problem(client.delete("/v1/posts/p1/reactions/love", headers=auth()), 422)


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_only_staff_pin(client, fake_rpc, auth, assert_problem, role):
    assert_problem(client.post("/v1/posts/p1/pin", headers=auth(role)), 403)
    assert fake_rpc.calls == []


def test_advisor_pins_and_unpins(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "set_pinned")] = None
    assert client.post("/v1/posts/p1/pin", headers=auth("advisor")).status_code == 204
    assert fake_rpc.last().args == ("p1", True)
    assert client.delete("/v1/posts/p1/pin", headers=auth("advisor")).status_code == 204
    assert fake_rpc.last().args == ("p1", False)


def test_only_admins_add_topics(client, fake_rpc, auth, assert_problem):
    body = {"slug": "M1607", "label": "Secrétariat", "kind": "rome"}
    assert_problem(client.post("/v1/topics", json=body, headers=auth("advisor")), 403)
    fake_rpc.replies[("posts", "add_topic")] = body
    response = client.post("/v1/topics", json=body, headers=auth("admin", agency=None))
    assert response.status_code == 201 and response.json() == body


def test_service_forbidden_is_a_french_403(client, fake_rpc, auth, assert_problem):
    from gateway.rpc_client import RemoteError

    fake_rpc.replies[("posts", "create_post")] = RemoteError("Forbidden", ["Vous ne pouvez pas publier ni commenter."], "Vous ne pouvez pas publier ni commenter.")
    problem = assert_problem(
        client.post("/v1/posts", json={"kind": "question", "title": "Une question", "body": "Bonjour"}, headers=auth()), 403
    )
    assert "publier" in problem["detail"]


def test_openapi_documents_every_posts_path(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/topics", "/v1/posts", "/v1/feed", "/v1/posts/{id}", "/v1/posts/{id}/comments",
                 "/v1/posts/{id}/reactions", "/v1/posts/{id}/reactions/{type}", "/v1/posts/{id}/accept",
                 "/v1/posts/{id}/pin"):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/v1/topics"])
    assert {"get", "patch", "delete"} <= set(paths["/v1/posts/{id}"])
