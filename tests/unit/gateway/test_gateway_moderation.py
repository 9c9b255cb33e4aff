"""Moderation routes: validation, roles at the gateway, and the right RPC."""

from __future__ import annotations

import pytest

from gateway.rpc_client import RemoteError

CASE = {"id": "c1", "target_type": "post", "target_id": "p1", "agency_code": "75001", "reasons": ["personal_data.phone"],
        "source": "screening", "excerpt": "…", "created_at": "2025-03-04T09:30:00+00:00"}


def test_a_member_reports_content(client, fake_rpc, auth):
    fake_rpc.replies[("moderation", "report")] = {"id": "r1", "status": "received"}
    body = {"target_type": "post", "target_id": "p1", "reason": "spam"}
    response = client.post("/v1/reports", json=body, headers=auth("job_seeker", sub="u1"))
    assert response.status_code == 201
    call = fake_rpc.last()
    assert (call.service, call.method, call.args) == ("moderation", "report", (body,))
    assert call.context["caller_id"] == "u1"


@pytest.mark.parametrize(
    "body",
    [
        {"target_type": "user", "target_id": "p1", "reason": "spam"},
        {"target_type": "post", "target_id": "p1", "reason": "boring"},
        {"target_type": "post", "reason": "spam"},
        {"target_type": "post", "target_id": "p1", "reason": "spam", "reporter_id": "someone"},
    ],
)
def test_a_bad_report_is_422_before_any_rpc(client, fake_rpc, auth, assert_problem, body):
    assert_problem(client.post("/v1/reports", json=body, headers=auth()), 422)
    assert fake_rpc.calls == []


def test_a_second_report_is_409(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("moderation", "report")] = RemoteError("Conflict", ["Vous avez déjà signalé ce contenu."], "Vous avez déjà signalé ce contenu.")
    response = client.post("/v1/reports", json={"target_type": "post", "target_id": "p1", "reason": "spam"}, headers=auth())
    assert assert_problem(response, 409)["detail"] == "Vous avez déjà signalé ce contenu."


def test_reporting_needs_a_token(client, fake_rpc, assert_problem):
    assert_problem(client.post("/v1/reports", json={"target_type": "post", "target_id": "p", "reason": "spam"}), 401)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/v1/moderation/queue", None),
        ("post", "/v1/moderation/cases/c1/decision", {"action": "approve", "reason": "ok"}),
        ("post", "/v1/moderation/sanctions", {"user_id": "u2", "type": "warn", "reason": "x"}),
        ("get", "/v1/moderation/audit", None),
    ],
)
@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_staff_routes_refuse_members(client, fake_rpc, auth, assert_problem, method, path, body, role):
    kwargs = {"json": body} if body else {}
    assert_problem(getattr(client, method)(path, headers=auth(role), **kwargs), 403)
    assert fake_rpc.calls == []


def test_the_queue_passes_pagination(client, fake_rpc, auth):
    fake_rpc.replies[("moderation", "queue")] = {"items": [CASE], "next_cursor": None}
    response = client.get("/v1/moderation/queue?limit=5&cursor=abc", headers=auth("advisor", agency="75001"))
    assert response.status_code == 200 and response.json()["items"] == [CASE]
    call = fake_rpc.last()
    assert call.args == ({"limit": 5, "cursor": "abc"},)
    assert (call.context["caller_role"], call.context["caller_agency"]) == ("advisor", "75001")


def test_the_queue_limit_is_bounded(client, fake_rpc, auth, assert_problem):
    assert_problem(client.get("/v1/moderation/queue?limit=101", headers=auth("admin", agency=None)), 422)


def test_a_decision_goes_to_the_case(client, fake_rpc, auth):
    fake_rpc.replies[("moderation", "decide")] = {**CASE, "status": "decided"}
    body = {"action": "hide", "reason": "Propos blessants"}
    response = client.post("/v1/moderation/cases/c1/decision", json=body, headers=auth("admin", agency=None))
    assert response.status_code == 200
    assert fake_rpc.last().args == ("c1", body)


@pytest.mark.parametrize("body", [{"action": "delete", "reason": "x"}, {"action": "approve"}, {"action": "approve", "reason": ""}])
def test_a_bad_decision_is_422(client, fake_rpc, auth, assert_problem, body):
    assert_problem(client.post("/v1/moderation/cases/c1/decision", json=body, headers=auth("advisor")), 422)
    assert fake_rpc.calls == []


def test_another_agencys_case_is_404_for_an_advisor(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("moderation", "decide")] = RemoteError("NotFound", ["Dossier de modération introuvable."], "Dossier de modération introuvable.")
    response = client.post("/v1/moderation/cases/c9/decision", json={"action": "approve", "reason": "ok"},
                           headers=auth("advisor"))
    assert_problem(response, 404)


def test_a_sanction_is_created(client, fake_rpc, auth):
    fake_rpc.replies[("moderation", "impose_sanction")] = {"id": "s1"}
    body = {"user_id": "u2", "type": "mute", "duration_hours": 24, "reason": "Spam"}
    response = client.post("/v1/moderation/sanctions", json=body, headers=auth("advisor"))
    assert response.status_code == 201
    assert fake_rpc.last().args == (body,)


@pytest.mark.parametrize("body", [{"user_id": "u2", "type": "ban", "reason": "x"},
                                  {"user_id": "u2", "type": "mute", "duration_hours": -1, "reason": "x"}])
def test_a_bad_sanction_is_422(client, fake_rpc, auth, assert_problem, body):
    assert_problem(client.post("/v1/moderation/sanctions", json=body, headers=auth("admin", agency=None)), 422)


def test_any_member_may_appeal_the_service_checks_authorship(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("moderation", "file_appeal")] = {"id": "a1", "case_id": "c1", "status": "open"}
    body = {"case_id": "c1", "text": "C'était le numéro de l'agence"}
    assert client.post("/v1/moderation/appeals", json=body, headers=auth()).status_code == 201
    assert fake_rpc.last().args == (body,)
    fake_rpc.replies[("moderation", "file_appeal")] = RemoteError("NotFound", ["Dossier de modération introuvable."], "Dossier de modération introuvable.")
    assert_problem(client.post("/v1/moderation/appeals", json=body, headers=auth()), 404)


def test_the_audit_log_is_filtered_by_target(client, fake_rpc, auth):
    fake_rpc.replies[("moderation", "audit_log")] = {"items": [], "next_cursor": None}
    response = client.get("/v1/moderation/audit?target_id=p1", headers=auth("advisor"))
    assert response.status_code == 200
    assert fake_rpc.last().args == ({"limit": 20, "target_id": "p1"},)


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/reports", "/v1/moderation/queue", "/v1/moderation/cases/{id}/decision",
                 "/v1/moderation/sanctions", "/v1/moderation/appeals", "/v1/moderation/audit"):
        assert path in paths
