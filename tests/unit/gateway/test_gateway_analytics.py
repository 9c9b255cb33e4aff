"""Analytics routes: who may read which figures, query validation, the RPC called."""

from __future__ import annotations

import pytest

from gateway.rpc_client import RemoteError

FIGURES = {"agency": "HDF-LILLE", "region": "Hauts-de-France", "from": "2026-03-01", "to": "2026-03-31", "posts": 4}


@pytest.mark.parametrize("path, method", [("/v1/analytics/kpis", "kpis"), ("/v1/analytics/kpis/daily", "daily_kpis")])
def test_an_advisor_reads_their_agency(client, fake_rpc, auth, path, method):
    fake_rpc.replies[("analytics", method)] = FIGURES
    response = client.get(path, params={"from": "2026-03-01", "to": "2026-03-31"}, headers=auth("advisor", agency="HDF-LILLE"))
    assert response.status_code == 200, response.text
    call = fake_rpc.last()
    assert (call.service, call.method) == ("analytics", method)
    assert call.args == ({"from": "2026-03-01", "to": "2026-03-31"},)
    assert call.context["caller_role"] == "advisor" and call.context["caller_agency"] == "HDF-LILLE"


@pytest.mark.parametrize("params", [{"agency": "HDF-ROUBAIX"}, {"region": "Hauts-de-France"}])
def test_an_advisor_may_not_read_another_agency_or_a_region(client, fake_rpc, auth, assert_problem, params):
    response = client.get("/v1/analytics/kpis", params=params, headers=auth("advisor", agency="HDF-LILLE"))
    assert_problem(response, 403)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("role", ["job_seeker", "company"])
@pytest.mark.parametrize("path", ["/v1/analytics/kpis", "/v1/analytics/kpis/daily"])
def test_members_are_forbidden(client, fake_rpc, auth, assert_problem, role, path):
    assert_problem(client.get(path, headers=auth(role, agency="HDF-LILLE")), 403)
    assert fake_rpc.calls == []


def test_anonymous_is_unauthorized(client, assert_problem):
    assert_problem(client.get("/v1/analytics/kpis"), 401)


def test_an_admin_reads_a_region(client, fake_rpc, auth):
    fake_rpc.replies[("analytics", "kpis")] = {**FIGURES, "agency": None}
    response = client.get("/v1/analytics/kpis", params={"region": "Occitanie"}, headers=auth("admin", agency=None))
    assert response.status_code == 200
    assert fake_rpc.last().args == ({"region": "Occitanie"},)


@pytest.mark.parametrize(
    "params, field",
    [({"from": "2026-03-31", "to": "2026-03-01"}, "from"), ({"from": "mars"}, "from"), ({"colour": "red"}, "colour")],
)
def test_bad_queries_are_422(client, fake_rpc, auth, assert_problem, params, field):
    body = assert_problem(client.get("/v1/analytics/kpis", params=params, headers=auth("admin", agency=None)), 422)
    assert body["errors"][0]["loc"] == ["query", field]
    assert fake_rpc.calls == []


def test_an_unknown_agency_from_the_service_is_404(client, fake_rpc, auth, assert_problem):
    fake_rpc.replies[("analytics", "kpis")] = RemoteError("NotFound", ["Agence inconnue."], "Agence inconnue.")
    body = assert_problem(client.get("/v1/analytics/kpis", params={"agency": "X"}, headers=auth("admin", agency=None)), 404)
    assert body["detail"] == "Agence inconnue."


def test_the_openapi_document_describes_the_figures(client):
    doc = client.get("/openapi.json").json()
    params = [p["name"] for p in doc["paths"]["/v1/analytics/kpis"]["get"]["parameters"]]
    assert params == ["agency", "region", "from", "to"]
    assert "median_minutes_to_first_answer" in doc["components"]["schemas"]["Kpis"]["properties"]
