"""A member's bio and display name through the gateway (issue 13): others see
a new one only once moderation finds it clean or a moderator approves it."""
import pytest

from stack.testing import wait_for

pytestmark = pytest.mark.e2e


def test_a_clean_bio_is_shown_and_one_with_a_phone_number_waits_for_a_moderator(http, join):
    _, author, _ = join("job_seeker", "Inès")
    reader_user, reader, _ = join("job_seeker", "Sam")
    _, advisor, _ = join("advisor", "Conseillère Claire")
    me = http.get("/v1/me", headers=author).json()

    changed = http.patch("/v1/me", json={"bio": "Cariste, je cherche un poste à Lille."}, headers=author)
    assert changed.status_code == 200 and changed.json()["profile_moderation"] == "pending"
    wait_for(lambda: http.get(f"/v1/users/{me['id']}", headers=reader).json()["bio"]
             == "Cariste, je cherche un poste à Lille.", timeout=5, message="the clean bio to be public")
    assert http.get("/v1/me", headers=author).json().get("profile_moderation") is None

    held = http.patch("/v1/me", json={"bio": "Cariste, appelez-moi au 06 12 34 56 78"}, headers=author)
    assert held.status_code == 200 and held.json()["bio"] == "Cariste, appelez-moi au 06 12 34 56 78"
    wait_for(lambda: http.get("/v1/me", headers=author).json()["profile_moderation"] == "held", timeout=5,
             message="the bio to be held")
    assert http.get(f"/v1/users/{me['id']}", headers=reader).json()["bio"] == "Cariste, je cherche un poste à Lille."

    queue = http.get("/v1/moderation/queue", params={"limit": 100}, headers=advisor).json()["items"]
    [case] = [c for c in queue if c["target_id"] == me["id"]]
    assert case["target_type"] == "profile" and case["reasons"] == ["personal_data.phone"]
    assert "12 34" not in case["excerpt"]
    # Hiding means nothing for a text nobody saw: 422 naming the field.
    hide = http.post(f"/v1/moderation/cases/{case['id']}/decision", json={"action": "hide", "reason": "Numéro"},
                     headers=advisor)
    assert hide.status_code == 422 and hide.json()["errors"][0]["loc"] == ["body", "action"]
    decided = http.post(f"/v1/moderation/cases/{case['id']}/decision",
                        json={"action": "reject", "reason": "Pas de numéro de téléphone dans le profil"}, headers=advisor)
    assert decided.status_code == 200, decided.text

    wait_for(lambda: http.get("/v1/me", headers=author).json()["profile_moderation"] == "refused", timeout=5,
             message="the bio to be refused")
    assert http.get("/v1/me", headers=author).json()["bio"] == "Cariste, je cherche un poste à Lille."
    assert http.get(f"/v1/users/{me['id']}", headers=reader).json()["bio"] == "Cariste, je cherche un poste à Lille."
    told = wait_for(lambda: [n for n in http.get("/v1/notifications", headers=author).json()["items"]
                             if n["type"] == "moderation_decision"], timeout=5, message="the member to be told")
    assert told[0]["title"] == "Votre profil n'a pas été modifié"
