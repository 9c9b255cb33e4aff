"""Moderation over HTTP with the whole platform running: a held post reaches
its agency's queue, an advisor decides, the author appeals, three reports
hide a post, and every step is in the audit log."""
import uuid

import httpx
import pytest

from stack.testing import wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase assez longue"
AGENCY = "ARA-VILLEURBANNE"  # no other test opens cases here: the queue gauge counts only this flow


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(http, email: str, password: str) -> str:
    response = http.post("/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def register(http, admin_token: str, role: str, name: str, agency: str = AGENCY) -> tuple[str, dict]:
    code = http.post("/v1/invitations", json={"role": role, "agency_code": agency}, headers=bearer(admin_token)).json()["code"]
    email = f"{uuid.uuid4().hex[:10]}@exemple.fr"
    user = http.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                                "display_name": name})
    assert user.status_code == 201, user.text
    return login(http, email, PASSWORD), user.json()


def post(http, token: str, title: str, body: str) -> str:
    created = http.post("/v1/posts", json={"kind": "discussion", "title": title, "body": body, "topics": []},
                        headers=bearer(token))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def status_of(http, token: str, post_id: str) -> str | None:
    response = http.get(f"/v1/posts/{post_id}", headers=bearer(token))
    return response.json()["status"] if response.status_code == 200 else None


def test_moderation_from_screening_to_appeal_and_reports(http, platform, services):
    admin = login(http, platform.platform_admin_email, platform.platform_admin_password)
    author, author_user = register(http, admin, "job_seeker", "Sam")
    advisor, advisor_user = register(http, admin, "advisor", "Mme Leroy")
    other_advisor, _ = register(http, admin, "advisor", "M. Petit", agency="HDF-AMIENS")
    reporters = [register(http, admin, "job_seeker", f"Membre {i}")[0] for i in range(4)]

    # Screening holds an insult; the case reaches the agency's queue, masked and with its rule.
    held = post(http, author, "Mon ancien chef", "Un vrai c o n n a r d, appelez-le au 06 12 34 56 78")
    wait_for(lambda: status_of(http, author, held) == "held", timeout=5, message="the post to be held")

    def queued(token):
        items = http.get("/v1/moderation/queue", headers=bearer(token)).json()["items"]
        return next((i for i in items if i["target_id"] == held), None)

    case = wait_for(lambda: queued(advisor), timeout=5, message="the case in the queue")
    assert set(case["reasons"]) == {"abuse.word_list", "personal_data.phone"} and case["source"] == "screening"
    assert "06 12" not in case["excerpt"] and case["agency_code"] == AGENCY
    assert queued(other_advisor) is None
    assert http.get("/v1/moderation/queue", headers=bearer(author)).status_code == 403

    # Another agency's advisor cannot decide it; this agency's advisor can, once.
    decision = {"action": "reject", "reason": "Insulte et numéro de téléphone d'un tiers"}
    assert http.post(f"/v1/moderation/cases/{case['id']}/decision", json=decision,
                     headers=bearer(other_advisor)).status_code == 404
    decided = http.post(f"/v1/moderation/cases/{case['id']}/decision", json=decision, headers=bearer(advisor))
    assert decided.status_code == 200, decided.text
    assert http.post(f"/v1/moderation/cases/{case['id']}/decision", json=decision,
                     headers=bearer(advisor)).status_code == 409

    audit = http.get("/v1/moderation/audit", params={"target_id": held}, headers=bearer(advisor)).json()["items"]
    assert [(e["action"], e["actor_id"], e["reason"]) for e in audit] == [
        ("case_decided", advisor_user["id"], decision["reason"])]

    # Only the author appeals, once; the case comes back to the queue.
    appeal = {"case_id": case["id"], "text": "Je retire le numéro, c'était une erreur."}
    assert http.post("/v1/moderation/appeals", json=appeal, headers=bearer(reporters[0])).status_code == 404
    assert http.post("/v1/moderation/appeals", json=appeal, headers=bearer(author)).status_code == 201
    assert http.post("/v1/moderation/appeals", json=appeal, headers=bearer(author)).status_code == 409
    assert queued(advisor)["source"] == "appeal"

    # Three distinct reports hide a published post.
    clean = post(http, author, "Offre de covoiturage", "Je vais à Roubaix tous les matins")
    wait_for(lambda: status_of(http, reporters[0], clean) == "published", timeout=5, message="the post published")
    report = {"target_type": "post", "target_id": clean, "reason": "spam"}
    for i, token in enumerate(reporters[:3]):
        assert http.post("/v1/reports", json=report, headers=bearer(token)).status_code == 201
        if i == 0:
            assert http.post("/v1/reports", json=report, headers=bearer(token)).status_code == 409
    hidden = wait_for(lambda: queued_target(http, advisor, clean), timeout=5, message="a reports case")
    assert hidden["source"] == "reports"
    assert http.post("/v1/reports", json=report, headers=bearer(reporters[3])).status_code == 404

    # An advisor mutes a member of their agency.
    sanction = http.post("/v1/moderation/sanctions", json={"user_id": author_user["id"], "type": "mute",
                                                            "duration_hours": 24, "reason": "Insultes répétées"},
                         headers=bearer(advisor))
    assert sanction.status_code == 201, sanction.text
    assert sanction.json()["expires_at"] is not None
    assert http.post("/v1/moderation/sanctions", json={"user_id": author_user["id"], "type": "warn", "reason": "x"},
                     headers=bearer(other_advisor)).status_code == 404

    # The moderation process counts what happened, for Prometheus.
    def scrape():
        return httpx.get(services["moderation"].metrics_url).text

    text = scrape()
    assert 'moderation_decisions_total{action="reject"} 1.0' in text
    assert 'moderation_cases_opened_total{source="appeal"} 1.0' in text
    assert "moderation_time_to_decision_seconds_count 1.0" in text
    wait_for(lambda: f'moderation_queue_depth{{agency="{AGENCY}"}} 2.0' in scrape(), timeout=10,
             message="the queue gauge (the appeal and the reports case)")


def queued_target(http, token, target_id):
    items = http.get("/v1/moderation/queue", headers=bearer(token)).json()["items"]
    return next((i for i in items if i["target_id"] == target_id), None)
