"""Mentoring routes: roles, validation, status codes."""

from __future__ import annotations

import pytest

from gateway.rpc_client import RemoteError

MENTOR_BODY = {"topics": ["logistique"], "bio": "Dix ans en entrepôt.", "capacity": 3}
TOPICS = [{"slug": "logistique", "label": "Logistique", "kind": "sector"}]


@pytest.fixture(autouse=True)
def topics(fake_rpc):
    fake_rpc.replies[("posts", "list_topics")] = TOPICS


def test_a_company_member_becomes_a_mentor(client, fake_rpc, auth):
    fake_rpc.replies[("mentoring", "create_mentor")] = {"id": "m1", **MENTOR_BODY}
    response = client.post("/v1/mentors", json=MENTOR_BODY, headers=auth("company", agency=None))
    assert response.status_code == 201
    assert fake_rpc.last().args == (MENTOR_BODY,)


def test_mentor_topics_must_exist(client, fake_rpc, auth, assert_problem):
    body = {**MENTOR_BODY, "topics": ["astrologie"]}
    problem = assert_problem(client.post("/v1/mentors", json=body, headers=auth("company")), 422)
    assert problem["errors"][0]["loc"] == ["body", "topics"]
    assert ("mentoring", "create_mentor") not in {(c.service, c.method) for c in fake_rpc.calls}


@pytest.mark.parametrize("role", ["job_seeker", "advisor", "admin"])
def test_only_companies_become_mentors(client, fake_rpc, auth, assert_problem, role):
    assert_problem(client.post("/v1/mentors", json=MENTOR_BODY, headers=auth(role)), 403)
    assert fake_rpc.calls == []


def test_a_second_mentor_profile_is_409(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("mentoring", "create_mentor")] = RemoteError("Conflict", ["Vous avez déjà un profil de mentor."])
    assert_problem(client.post("/v1/mentors", json=MENTOR_BODY, headers=auth("company")), 409)


@pytest.mark.parametrize("overrides", [{"capacity": 0}, {"topics": []}, {"bio": ""}, {"rating": 5}])
def test_invalid_mentor_profiles_are_422(client, fake_rpc, auth, assert_problem, overrides):
    assert_problem(client.post("/v1/mentors", json={**MENTOR_BODY, **overrides}, headers=auth("company")), 422)
    assert fake_rpc.calls == []


def test_list_mentors_by_topic(client, fake_rpc, auth):
    fake_rpc.replies[("mentoring", "list_mentors")] = {"items": [], "next_cursor": None}
    assert client.get("/v1/mentors", params={"topic": "logistique"}, headers=auth()).status_code == 200
    assert fake_rpc.last().args == ({"topic": "logistique", "limit": 20},)


def test_a_job_seeker_asks_a_mentor(client, fake_rpc, auth):
    fake_rpc.replies[("mentoring", "request_mentoring")] = {"id": "q1", "status": "pending"}
    response = client.post(
        "/v1/mentoring/requests", json={"mentor_id": "m1", "message": "Bonjour"}, headers=auth("job_seeker")
    )
    assert response.status_code == 201 and response.json() == {"id": "q1", "status": "pending"}


def test_only_job_seekers_ask_for_mentoring(client, fake_rpc, auth, assert_problem):
    response = client.post("/v1/mentoring/requests", json={"mentor_id": "m1", "message": "Bonjour"}, headers=auth("company"))
    assert_problem(response, 403)
    assert fake_rpc.calls == []


def test_accept_when_full_is_409(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("mentoring", "accept_request")] = RemoteError("Conflict", ["Capacité atteinte."])
    assert_problem(client.post("/v1/mentoring/requests/q1/accept", headers=auth("company")), 409)
    assert fake_rpc.last().args == ("q1",)


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_job_seekers_do_not_answer_requests(client, fake_rpc, auth, assert_problem, action):
    assert_problem(client.post(f"/v1/mentoring/requests/q1/{action}", headers=auth("job_seeker")), 403)
    assert fake_rpc.calls == []


def test_end_without_a_body_or_with_a_reason(client, fake_rpc, auth):
    fake_rpc.replies[("mentoring", "end_mentorship")] = {"id": "q1", "status": "ended"}
    assert client.post("/v1/mentoring/requests/q1/end", headers=auth("job_seeker")).status_code == 200
    assert fake_rpc.last().args == ("q1", {})
    client.post("/v1/mentoring/requests/q1/end", json={"reason": "Emploi trouvé"}, headers=auth("company"))
    assert fake_rpc.last().args == ("q1", {"reason": "Emploi trouvé"})


def test_list_my_requests(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("mentoring", "list_requests")] = {"items": [], "next_cursor": None}
    assert client.get("/v1/mentoring/requests", params={"role": "mentor"}, headers=auth("company")).status_code == 200
    assert fake_rpc.last().args == ({"role": "mentor", "limit": 20},)
    assert_problem(client.get("/v1/mentoring/requests", params={"role": "boss"}, headers=auth()), 422)
