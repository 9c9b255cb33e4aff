"""The gateway's account routes: sessions, and the caller's login forwarded
to identity so it can tell the current session from the others."""
import uuid


def test_the_session_of_the_token_travels_in_the_rpc_context(client, fake_rpc, auth):
    sid = str(uuid.uuid4())
    fake_rpc.replies[("identity", "list_sessions")] = {"items": [], "next_cursor": None}
    response = client.get("/v1/me/sessions?limit=5", headers=auth(sid=sid))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    call = fake_rpc.last()
    assert call.args == ({"limit": 5},)
    assert call.context["caller_session"] == sid


def test_a_token_without_session_sends_none(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "list_sessions")] = {"items": [], "next_cursor": None}
    assert client.get("/v1/me/sessions", headers=auth()).status_code == 200
    assert "caller_session" not in fake_rpc.last().context


def test_ending_a_session_answers_204(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "end_session")] = None
    response = client.delete("/v1/me/sessions/abc", headers=auth())
    assert response.status_code == 204 and response.content == b""
    assert fake_rpc.last().args == ("abc",)


def test_sessions_need_a_token(client, assert_problem):
    assert_problem(client.get("/v1/me/sessions"), 401)
    assert_problem(client.delete("/v1/me/sessions/abc"), 401)


def test_invitations_are_listed_by_staff_only(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("identity", "list_invitations")] = {"items": [], "next_cursor": None}
    response = client.get("/v1/invitations?active=true&limit=10", headers=auth("advisor", agency="HDF-LILLE"))
    assert response.status_code == 200
    assert fake_rpc.last().args == ({"active": True, "limit": 10},)
    for role in ("job_seeker", "company"):
        assert_problem(client.get("/v1/invitations", headers=auth(role)), 403)
        assert_problem(client.delete("/v1/invitations/ABC", headers=auth(role)), 403)


def test_revoking_an_invitation_answers_204(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "revoke_invitation")] = None
    response = client.delete("/v1/invitations/ABC-123", headers=auth("admin", agency=None))
    assert response.status_code == 204
    assert fake_rpc.last().args == ("ABC-123",)


def test_password_routes_answer_their_statuses(client, fake_rpc, auth):
    for method in ("request_password_reset", "confirm_password_reset", "request_email_link", "change_password"):
        fake_rpc.replies[("identity", method)] = None
    assert client.post("/v1/auth/password-reset", json={"email": "x@exemple.fr"}).status_code == 202
    assert client.post("/v1/auth/email-link", json={"email": "pas une adresse"}).status_code == 202
    assert client.post("/v1/auth/password-reset/confirm",
                       json={"token": "abc", "new_password": "une longue phrase"}).status_code == 204
    changed = client.post("/v1/me/password", json={"current_password": "a", "new_password": "b"}, headers=auth())
    assert changed.status_code == 204
    assert fake_rpc.last().args == ({"current_password": "a", "new_password": "b"},)


def test_a_sign_in_link_answers_a_token_pair_not_cached(client, fake_rpc):
    pair = {"access_token": "a", "refresh_token": "r", "token_type": "bearer", "expires_in": 900}
    fake_rpc.replies[("identity", "confirm_email_link")] = pair
    response = client.post("/v1/auth/email-link/confirm", json={"token": "abc"}, headers={"User-Agent": "Firefox"})
    assert response.status_code == 200 and response.json() == pair
    assert response.headers["cache-control"] == "no-store"
    assert fake_rpc.last().args == ({"token": "abc"}, "Firefox")


def test_a_used_link_is_a_400_problem(client, fake_rpc, assert_problem):
    from gateway.rpc_client import RemoteError

    fake_rpc.replies[("identity", "confirm_email_link")] = RemoteError(
        "BadRequest", ["Ce lien n'est plus valable."], "Ce lien n'est plus valable.")
    body = assert_problem(client.post("/v1/auth/email-link/confirm", json={"token": "abc"}), 400)
    assert body["detail"] == "Ce lien n'est plus valable."


def test_changing_the_password_needs_a_token_and_refuses_unknown_fields(client, auth, assert_problem):
    assert_problem(client.post("/v1/me/password", json={"current_password": "a", "new_password": "b"}), 401)
    assert_problem(client.post("/v1/me/password", json={"current_password": "a", "new_password": "b", "x": 1},
                               headers=auth()), 422)
