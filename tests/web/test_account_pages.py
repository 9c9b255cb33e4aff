"""Accounts in the browser: a forgotten password reset from the e-mail's
link, signing in by an e-mail link, changing the password, ending a lost
phone's login, and an advisor revoking an invitation. E-mails go over SMTP
to a local sink, as in production."""
import re

import pytest

from services.notifications.smtp_sink import SmtpSink
from stack.services import SERVICES
from stack.testing import free_port, wait_for
from tests.web.conftest import screenshot

NEW_PASSWORD = "une autre phrase de passe bien longue"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("web-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def services(start_service, smtp):
    """Every service; identity sends its e-mails to the sink, with links to
    a web app whose address does not matter (the test opens the path)."""
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "EMAIL_POLL_SECONDS": 0.2}
    return {name: start_service(name, **(mail if name in ("identity", "notifications") else {}))
            for name in SERVICES}


def link_in(smtp, address: str, subject: str) -> str:
    """The path and query of the link in the e-mail `subject` sent to `address`."""
    message = wait_for(lambda: next((m for m in smtp.messages() if m["To"] == address and m["Subject"] == subject),
                                    None), timeout=15, message=f"«{subject}» to reach {address}")
    url = re.search(r"https?://[^\s]+\?token=[A-Za-z0-9_-]+", message.get_body(("plain",)).get_content()).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_forgotten_password_is_reset_from_the_e_mail(people, member_account, smtp):
    account = member_account(name="Inès")
    ines = people("Inès")
    page = ines.goto("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    # /connexion has an "Adresse e-mail" field too: filling before the new
    # page is there fills the old one, and the form goes out empty.
    page.wait_for_url("**/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill(account["email"])
    page.get_by_role("button", name="Recevoir le lien").click()
    page.get_by_text("Regardez vos e-mails").wait_for()
    ines.check_accessibility("mot de passe oublié")
    screenshot(page, "mot-de-passe-oublie")

    link = link_in(smtp, account["email"], "Choisir un nouveau mot de passe")
    page = ines.goto(link)
    page.get_by_label("Nouveau mot de passe").fill("trop court")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.locator(".fr-error-text, .fr-alert--error").first.wait_for()
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url("**/connexion")
    ines.check_accessibility("nouveau mot de passe")

    # The link served once; the new password opens the session.
    page = ines.goto(link)
    page.get_by_label("Nouveau mot de passe").fill("encore une autre phrase de passe")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_text("Ce lien n'est plus valable").wait_for()
    ines.sign_in(account["email"], NEW_PASSWORD)


def test_a_member_signs_in_with_an_e_mail_link(people, member_account, smtp):
    account = member_account(name="Yanis")
    yanis = people("Yanis", javascript=False)
    page = yanis.goto("/connexion")
    page.get_by_role("link", name="Recevoir un lien de connexion par e-mail").click()
    page.wait_for_url("**/connexion/lien")
    page.get_by_label("Adresse e-mail").fill(account["email"])
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_text("Regardez vos e-mails").wait_for()

    # Opening the link does not spend it (mail scanners open links): the button does.
    link = link_in(smtp, account["email"], "Votre lien de connexion")
    yanis.goto(link)
    page = yanis.goto(link)
    yanis.check_accessibility("lien de connexion")
    screenshot(page, "connexion-par-lien")
    page.get_by_role("button", name="Me connecter").click()
    page.get_by_role("heading", name="Bonjour Yanis").wait_for()

    page = yanis.goto(link)
    page.get_by_role("button", name="Me connecter").click()
    page.get_by_text("Ce lien n'est plus valable").wait_for()


def test_a_member_changes_the_password_and_ends_a_lost_phones_login(people, member_account, smtp):
    account = member_account(name="Chloé")
    laptop, phone = people("Chloé, ordinateur"), people("Chloé, téléphone")
    laptop.sign_in(account["email"], account["password"])
    phone.sign_in(account["email"], account["password"])

    page = laptop.goto("/profil")
    page.get_by_role("link", name="Mes connexions (appareils connectés)").click()
    page.get_by_text("(cet appareil)").wait_for()
    assert page.locator("tbody tr").count() == 2
    laptop.check_accessibility("mes connexions")
    screenshot(page, "mes-connexions")
    page.locator("tbody tr", has_not_text="(cet appareil)").get_by_role("button", name="Fermer").click()
    page.get_by_text("Cette connexion est fermée").wait_for()
    assert page.locator("tbody tr").count() == 1

    # The phone's session is over at its next page.
    phone.goto("/notifications")
    phone.page.wait_for_url("**/connexion**")

    page = laptop.goto("/profil/mot-de-passe")
    page.get_by_label("Mot de passe actuel").fill("pas le bon mot de passe du tout")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.get_by_text("Le mot de passe actuel n'est pas le bon.").first.wait_for()
    laptop.check_accessibility("changer mon mot de passe")
    page.get_by_label("Mot de passe actuel").fill(account["password"])
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.get_by_text("Votre mot de passe est changé").wait_for()
    wait_for(lambda: any(m["To"] == account["email"] and m["Subject"] == "Votre mot de passe a été changé"
                         for m in smtp.messages()), timeout=15, message="the password-changed e-mail")


def test_an_advisor_revokes_an_invitation(people, member_account, api):
    advisor = member_account("advisor", "HDF-LILLE", name="Conseillère Martin")
    token = api.post("/v1/auth/token", json={"email": advisor["email"], "password": advisor["password"]})
    code = api.post("/v1/invitations", json={"role": "job_seeker", "agency_code": "HDF-LILLE", "max_uses": 5},
                    headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()["code"]
    person = people("Conseillère")
    person.sign_in(advisor["email"], advisor["password"])
    page = person.goto("/invitations")
    row = page.locator("tbody tr", has_text=code)
    row.get_by_text("Utilisable").wait_for()
    person.check_accessibility("invitations")
    screenshot(page, "invitations")
    row.get_by_role("button", name=f"Révoquer l'invitation {code}").click()
    page.get_by_text(f"L'invitation {code} est révoquée").wait_for()
    assert page.locator("tbody tr", has_text=code).count() == 0
    page = person.goto("/invitations?toutes=1")
    page.locator("tbody tr", has_text=code).get_by_text("Révoquée").wait_for()

    answer = api.post("/v1/auth/register", json={"invitation_code": code, "email": "trop-tard@exemple.fr",
                                                  "password": "une phrase de passe assez longue",
                                                  "display_name": "Trop tard"})
    assert answer.status_code == 403
