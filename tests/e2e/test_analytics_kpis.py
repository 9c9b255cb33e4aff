"""The pilot's figures over HTTP: a question asked in an agency shows in its
figures; advisors read their own agency only; members read none."""
import uuid
from datetime import date

import pytest

from stack.testing import wait_for

pytestmark = pytest.mark.e2e

AGENCY = "OCC-MONTPELLIER"
PASSWORD = "une phrase de passe assez longue"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(http, email: str, password: str) -> str:
    response = http.post("/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def member(http, admin_token: str, role: str, agency: str | None) -> str:
    code = http.post("/v1/invitations", json={"role": role, "agency_code": agency}, headers=bearer(admin_token)).json()["code"]
    email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
    registered = http.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                                      "display_name": "Alex"})
    assert registered.status_code == 201, registered.text
    return login(http, email, PASSWORD)


def test_a_question_shows_in_its_agencys_figures_and_scopes_hold(http, platform, services):
    admin = login(http, platform.platform_admin_email, platform.platform_admin_password)
    advisor = member(http, admin, "advisor", AGENCY)
    seeker = member(http, admin, "job_seeker", AGENCY)
    today = date.today().isoformat()
    query = {"agency": AGENCY, "from": today, "to": today}

    before = http.get("/v1/analytics/kpis", params=query, headers=bearer(admin))
    assert before.status_code == 200, before.text
    assert before.json()["region"] == "Occitanie"
    posted = http.post("/v1/posts", json={"kind": "question", "title": "Formation cariste", "body": "Des conseils ?",
                                          "topics": []}, headers=bearer(seeker))
    assert posted.status_code == 201, posted.text

    def counted():
        figures = http.get("/v1/analytics/kpis", params=query, headers=bearer(admin)).json()
        return figures["questions"] == before.json()["questions"] + 1 and figures

    figures = wait_for(counted, timeout=10, message="the question in the agency's figures")
    assert figures["posts"] == before.json()["posts"] + 1
    assert figures["new_members"] >= 1 and figures["active_users"] >= 1
    assert figures["answered_question_ratio"] is not None

    own = http.get("/v1/analytics/kpis", params={"from": today, "to": today}, headers=bearer(advisor))
    assert own.status_code == 200 and own.json()["agency"] == AGENCY and own.json()["questions"] == figures["questions"]
    for params in ({"agency": "HDF-LILLE"}, {"region": "Occitanie"}):
        refused = http.get("/v1/analytics/kpis", params=params, headers=bearer(advisor))
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    assert http.get("/v1/analytics/kpis", headers=bearer(seeker)).status_code == 403
    assert http.get("/v1/analytics/kpis/daily", headers=bearer(seeker)).status_code == 403

    daily = http.get("/v1/analytics/kpis/daily", params={"region": "Occitanie", "from": today, "to": today},
                     headers=bearer(admin))
    assert daily.status_code == 200, daily.text
    assert [row["date"] for row in daily.json()["items"]] == [today]
    assert daily.json()["items"][0]["questions"] >= 1
    assert http.get("/v1/analytics/kpis", params={"agency": "NULLE-PART"}, headers=bearer(admin)).status_code == 404
