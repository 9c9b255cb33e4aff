"""Notification routes: validation, ownership left to the service, preferences rules."""

from __future__ import annotations

from gateway.rpc_client import RemoteError

PAGE = {"items": [], "next_cursor": None, "unread_count": 0}
PREFS = {"channels": {"comment_on_post": {"in_app": True, "email": False}}, "digest": "weekly"}


def test_listing_needs_a_token(client, assert_problem):
    assert_problem(client.get("/v1/notifications"), 401)


def test_listing_forwards_the_query_with_defaults_and_the_caller(client, fake_rpc, auth):
    fake_rpc.replies[("notifications", "list_notifications")] = PAGE
    response = client.get("/v1/notifications", headers=auth(sub="user-1"))
    assert response.status_code == 200 and response.json() == PAGE
    call = fake_rpc.last()
    assert call.args == ({"unread": False, "limit": 20},) and call.context["caller_id"] == "user-1"
    client.get("/v1/notifications?unread=true&limit=5&cursor=abc", headers=auth())
    assert fake_rpc.last().args == ({"unread": True, "limit": 5, "cursor": "abc"},)


def test_a_limit_over_100_is_refused_before_any_call(client, fake_rpc, auth, assert_problem):
    body = assert_problem(client.get("/v1/notifications?limit=101", headers=auth()), 422)
    assert body["errors"][0]["loc"] == ["query", "limit"] and fake_rpc.calls == []


def test_marking_read_is_204_and_someone_elses_is_404(client, fake_rpc, auth, assert_problem):
    response = client.post("/v1/notifications/n-1/read", headers=auth())
    assert response.status_code == 204 and fake_rpc.last().args == ("n-1",)
    fake_rpc.replies[("notifications", "mark_read")] = RemoteError("NotFound", ["Notification introuvable."],
                                                                  "Notification introuvable.")
    assert_problem(client.post("/v1/notifications/n-2/read", headers=auth()), 404)


def test_read_all_is_204(client, fake_rpc, auth):
    response = client.post("/v1/notifications/read-all", headers=auth())
    assert response.status_code == 204 and fake_rpc.last().method == "mark_all_read"


def test_preferences_are_read_and_replaced(client, fake_rpc, auth):
    fake_rpc.replies[("notifications", "get_preferences")] = PREFS
    assert client.get("/v1/notifications/preferences", headers=auth()).json() == PREFS
    fake_rpc.replies[("notifications", "update_preferences")] = PREFS
    response = client.put("/v1/notifications/preferences", json=PREFS, headers=auth())
    assert response.status_code == 200 and fake_rpc.last().args == (PREFS,)


def test_reactions_by_email_are_refused(client, fake_rpc, auth, assert_problem):
    body = {"channels": {"reaction": {"in_app": True, "email": True}}, "digest": "weekly"}
    problem = assert_problem(client.put("/v1/notifications/preferences", json=body, headers=auth()), 422)
    assert problem["errors"][0]["loc"] == ["body", "channels", "reaction", "email"]
    assert fake_rpc.calls == []


def test_unknown_types_and_digests_are_refused(client, fake_rpc, auth, assert_problem):
    for body in ({"channels": {"gossip": {"in_app": True, "email": False}}, "digest": "weekly"},
                 {"channels": {}, "digest": "hourly"},
                 {"channels": {}, "digest": "weekly", "sms": True}):
        assert_problem(client.put("/v1/notifications/preferences", json=body, headers=auth()), 422)
    assert fake_rpc.calls == []
