"""A stranger's wrong passwords lock unknown browsers out of an account, not
its member's own browser: the web app keeps identity's device token in its
`appareil` cookie and sends it back (OWASP's device cookies)."""
from services.identity import domain


def test_an_attacker_cannot_lock_a_member_out_of_their_own_browser(people, member_account, api):
    account = member_account(name="Camille")
    camille = people("Camille")
    camille.sign_in(account["email"], account["password"])
    device = next(c for c in camille.context.cookies() if c["name"] == "appareil")
    assert device["httpOnly"] and device["sameSite"] == "Lax" and device["value"].startswith("d1.")
    camille.page.get_by_role("button", name="Se déconnecter").click()
    camille.page.wait_for_url("**/connexion")

    # Someone tries passwords on her account from elsewhere.
    for i in range(domain.MAX_FAILURES_PER_ACCOUNT + 2):
        api.post("/v1/auth/token", json={"email": account["email"], "password": "une supposition de plus"},
                 headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})

    # A browser that never signed in to it is locked out, the right password too...
    other = people("Ordinateur de l'agence")
    other.goto("/connexion")
    other.page.get_by_label("Adresse e-mail").fill(account["email"])
    other.page.get_by_label("Mot de passe").fill(account["password"])
    other.page.get_by_role("button", name="Se connecter").click()
    other.page.get_by_text("Trop de tentatives de connexion").wait_for()

    # ... but Camille's own browser signs in, and keeps a new device token.
    camille.sign_in(account["email"], account["password"])
    camille.page.get_by_role("button", name="Se déconnecter").wait_for()
    renewed = next(c for c in camille.context.cookies() if c["name"] == "appareil")
    assert renewed["value"] != device["value"]
