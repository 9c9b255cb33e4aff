"""ETag and If-None-Match on GET /v1/posts/{id} and GET /v1/feed: 304 when unchanged."""

from __future__ import annotations

import pytest

from gateway.responses import none_match

POST = {"id": "p1", "kind": "question", "title": "Un titre", "body": "Un corps", "my_reactions": ["thanks"]}
FEED = {"items": [POST], "next_cursor": None}


@pytest.fixture
def auth(make_token):
    return {"Authorization": f"Bearer {make_token()}"}


@pytest.mark.parametrize("path, method, reply", [("/v1/posts/p1", "get_post", POST), ("/v1/feed", "feed", FEED)])
def test_an_unchanged_read_is_answered_304_without_a_body(client, fake_rpc, auth, path, method, reply):
    fake_rpc.replies[("posts", method)] = reply
    first = client.get(path, headers=auth)
    assert first.status_code == 200 and first.json() == reply
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "no-store"
    again = client.get(path, headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(path, headers={**auth, "If-None-Match": f'"autre", W/{etag}'}).status_code == 304


def test_a_changed_post_gets_a_new_etag_and_its_body(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "get_post")] = POST
    etag = client.get("/v1/posts/p1", headers=auth).headers["etag"]
    fake_rpc.replies[("posts", "get_post")] = {**POST, "my_reactions": []}
    changed = client.get("/v1/posts/p1", headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["my_reactions"] == []
    assert changed.headers["etag"] != etag


def test_errors_are_never_304(client, fake_rpc, auth):
    from gateway.rpc_client import RemoteError

    fake_rpc.replies[("posts", "get_post")] = RemoteError("NotFound", ["Introuvable."])
    assert client.get("/v1/posts/p1", headers={**auth, "If-None-Match": "*"}).status_code == 404


@pytest.mark.parametrize("header, matches", [
    (None, False), ("", False), ('"a"', True), ('W/"a"', True), ('"b", "a"', True), ("*", True), ('"b"', False),
])
def test_if_none_match_uses_weak_comparison(header, matches):
    assert none_match(header, '"a"') is (not matches)


def test_the_openapi_document_says_so(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/posts/{id}", "/v1/feed"):
        operation = paths[path]["get"]
        assert "304" in operation["responses"] and "ETag" in operation["responses"]["200"]["headers"]
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"])
