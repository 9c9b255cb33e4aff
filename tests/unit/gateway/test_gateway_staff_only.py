"""A job seeker calling any advisor or admin endpoint gets 403 from the
gateway itself: no service is even asked."""

from __future__ import annotations

import pytest

ANY_ID = "3f2b8c1e-0000-4000-8000-000000000001"
STAFF_ONLY = [
    ("POST", "/v1/agencies", {"code": "BRE-RENNES", "name": "Agence Rennes", "region": "Bretagne"}),
    ("POST", "/v1/invitations", {"role": "job_seeker", "agency_code": "75001"}),
    ("POST", "/v1/topics", {"slug": "nouveau-theme", "label": "Nouveau thème", "kind": "theme"}),
    ("GET", "/v1/moderation/queue", None),
    ("POST", f"/v1/moderation/cases/{ANY_ID}/decision", {"action": "approve", "reason": "Conforme à la charte"}),
    ("POST", "/v1/moderation/sanctions", {"user_id": ANY_ID, "type": "warn", "reason": "Propos déplacés"}),
    ("GET", f"/v1/moderation/audit?target_id={ANY_ID}", None),
    ("POST", f"/v1/posts/{ANY_ID}/pin", None),
    ("DELETE", f"/v1/posts/{ANY_ID}/pin", None),
    ("GET", "/v1/analytics/kpis", None),
    ("GET", "/v1/analytics/kpis/daily", None),
    ("POST", "/v1/events", {
        "title": "Forum emploi", "description": "Rencontrer des recruteurs", "kind": "job_fair",
        "starts_at": "2030-01-10T09:00:00Z", "ends_at": "2030-01-10T12:00:00Z", "location": "Agence",
        "capacity": 50, "topics": []}),
    ("POST", "/v1/mentors", {"topics": [], "bio": "Vingt ans de métier", "capacity": 2}),
]


@pytest.mark.parametrize("method, path, body", STAFF_ONLY, ids=[f"{m} {p.split('?')[0]}" for m, p, _ in STAFF_ONLY])
def test_a_job_seeker_is_refused_before_any_service_is_called(client, fake_rpc, auth, assert_problem, method, path, body):
    response = client.request(method, path, json=body, headers=auth("job_seeker"))
    assert_problem(response, 403)
    assert not fake_rpc.calls, f"{method} {path} asked a service"
