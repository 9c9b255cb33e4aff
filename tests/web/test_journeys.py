"""Whole journeys of several people at once, in a real browser, against the
whole platform: each person has their own browser context. Every page
visited is checked with axe-core, and screenshotted at 360 and 1280 px."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import STRONG_PASSWORD
from tests.web.conftest import screenshot

pytestmark = pytest.mark.e2e


def visit(person, path: str, label: str, shot: str | None = None):
    page = person.goto(path)
    person.check_accessibility(label)
    if shot:
        screenshot(page, shot)
    return page


def register(person, code: str, name: str) -> str:
    """Registers through the page; returns the e-mail used."""
    email = f"membre-{uuid.uuid4().hex[:8]}@exemple.fr"
    page = visit(person, f"/inscription?code={code}", "inscription", "inscription")
    expect(page.get_by_label("Code d'invitation")).to_have_value(code)
    page.get_by_label("Nom affiché aux autres membres").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    errors = page.locator("#erreurs")
    assert not errors.count(), errors.inner_text()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {name}")
    return email


def ask_question(person, title: str, body: str) -> str:
    page = visit(person, "/publier?type=question", "publier", "publier")
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Votre question, avec le contexte utile").fill(body)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    post_id = re.search(r"/publications/([A-Za-z0-9_-]+)", page.url).group(1)
    return post_id


def wait_until_published(person, post_id: str) -> None:
    """Screening publishes a clean post within seconds."""
    for _ in range(40):
        page = person.goto(f"/publications/{post_id}")
        if page.locator("form[action*='/commentaires']").count():
            return
        page.wait_for_timeout(500)
    raise AssertionError("the post was not published:\n" + page.inner_text("main"))


def answer(person, post_id: str, text: str) -> None:
    page = visit(person, f"/publications/{post_id}", "publication", "publication")
    page.get_by_label("Votre réponse").fill(text)
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre réponse est envoyée")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_job_seeker_asks_gets_an_answer_live_and_accepts_it(people, invite, member_account, javascript):
    asker = people("Inès", javascript=javascript)
    helper_account = member_account(name="Hugo")
    helper = people("Hugo")

    register(asker, invite("job_seeker", "HDF-LILLE"), "Inès")
    visit(asker, "/", "accueil", "accueil" if javascript else None)
    expect(asker.page.get_by_role("heading", name="Bien démarrer en trois étapes")).to_be_visible()
    title = f"Comment préparer un entretien d'embauche {uuid.uuid4().hex[:4]} ?"
    post_id = ask_question(asker, title, "J'ai un entretien la semaine prochaine pour un poste de cariste.")
    wait_until_published(asker, post_id)

    badge = asker.page.locator("#badge")
    expect(badge).to_contain_text("aucune")
    if javascript:
        asker.page.wait_for_timeout(500)  # the stream is open before the answer comes

    helper.sign_in(helper_account["email"], helper_account["password"])
    wait_until_published(helper, post_id)
    answer(helper, post_id, "Renseignez-vous sur l'entreprise et préparez deux exemples concrets.")

    if javascript:
        # The badge changes without the page being reloaded.
        expect(badge).to_contain_text("1 non lue", timeout=20000)
    else:
        for _ in range(40):
            asker.goto("/notifications")
            if asker.page.locator(".app-notification--unread").count():
                break
            asker.page.wait_for_timeout(500)
        expect(asker.page.locator("#badge")).to_contain_text("1 non lue")
    page = visit(asker, "/notifications", "notifications", "notifications" if javascript else None)
    page.locator(".app-notification--unread button").first.click()
    page.wait_for_url(re.compile(f"/publications/{post_id}"))
    # the answer may still be in screening: wait until it shows with its button
    for _ in range(40):
        if page.get_by_role("button", name="Accepter cette réponse").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    asker.check_accessibility("publication avec réponse")
    page.get_by_role("button", name="Accepter cette réponse").click()
    expect(page.locator(".app-comment--accepted")).to_contain_text("Renseignez-vous")
    expect(page.locator("#badge")).to_contain_text("aucune")


def api_post(api, token: str, path: str, body: dict) -> dict:
    answer = api.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else {}


def token_of(api, account: dict) -> str:
    answer = api.post("/v1/auth/token", json={"email": account["email"], "password": account["password"]})
    answer.raise_for_status()
    return answer.json()["access_token"]


def published_post(api, account: dict, title: str, body: str) -> str:
    token = token_of(api, account)
    post = api_post(api, token, "/v1/posts", {"kind": "discussion", "title": title, "body": body, "topics": []})
    for _ in range(100):
        view = api.get(f"/v1/posts/{post['id']}", headers={"Authorization": f"Bearer {token}"}).json()
        if view["status"] == "published":
            return post["id"]
        import time
        time.sleep(0.1)
    raise AssertionError(f"not published: {view}")


def wait_for_text(person, path: str, selector: str, text: str, tries: int = 40):
    """Reload `path` until `selector` contains `text` (what events bring takes a moment)."""
    for _ in range(tries):
        page = person.goto(path)
        if text in (page.locator(selector).first.inner_text() if page.locator(selector).count() else ""):
            return page
        page.wait_for_timeout(500)
    raise AssertionError(f"{text!r} never appeared in {selector} on {path}:\n{person.page.inner_text('main')}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_three_reports_reach_the_advisor_who_decides_and_the_reporters_are_told(
        people, api, member_account, javascript):
    agency = "HDF-LILLE"
    author = member_account(name="Marc")
    marker = uuid.uuid4().hex[:6]
    post_id = published_post(api, author, f"Offre miracle {marker}", f"Gagnez de l'argent vite {marker}, écrivez-moi.")
    reporters = []
    for name in ("Inès", "Hugo", "Léa"):
        account = member_account(name=name)
        person = people(name, javascript=javascript)
        person.sign_in(account["email"], account["password"])
        reporters.append(person)
    for index, person in enumerate(reporters):
        page = visit(person, f"/publications/{post_id}", "publication à signaler")
        page.get_by_role("link", name="Signaler", exact=True).click()
        page.wait_for_url(re.compile("/signaler"))
        if index == 0:
            person.check_accessibility("signaler")
            screenshot(page, "signaler") if javascript else None
        page.locator("label[for=reason-spam]").click()
        page.get_by_label("Précisions (facultatif)").fill("Arnaque évidente")
        page.get_by_role("button", name="Envoyer le signalement").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("Merci pour votre signalement")

    advisor_account = member_account("advisor", agency, name="Nadia")
    advisor = people("Nadia")
    advisor.sign_in(advisor_account["email"], advisor_account["password"])
    page = wait_for_text(advisor, "/conseiller/moderation?source=reports", "main", marker)
    advisor.check_accessibility("file de modération")
    screenshot(page, "moderation")
    case = page.locator("article.app-case", has_text=marker)
    case.locator("label", has_text="Masquer").click()
    case.get_by_label("Raison (envoyée à l'auteur)").fill("Arnaque : publicité trompeuse.")
    case.get_by_role("button", name="Décider").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Décision enregistrée")
    expect(page.locator("main")).not_to_contain_text(marker)
    visit(advisor, f"/conseiller/journal?cible={post_id}", "journal", "journal")
    expect(advisor.page.locator("main")).to_contain_text("Arnaque : publicité trompeuse.")

    for person in reporters:
        wait_for_text(person, "/notifications", ".app-notifications", "signalement")
    reporters[0].check_accessibility("notifications du signalement")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_event_fills_up_the_third_waits_and_is_promoted_when_a_seat_frees(
        people, member_account, javascript):
    company_account = member_account("company", None, name="Logistique Nord")
    company = people("Logistique Nord")
    company.sign_in(company_account["email"], company_account["password"])
    page = visit(company, "/evenements/nouveau", "créer un événement", "evenement-nouveau")
    title = f"Job dating logistique {uuid.uuid4().hex[:4]}"
    starts = (datetime.now(timezone.utc) + timedelta(days=10)).astimezone().strftime("%Y-%m-%dT14:00")
    ends = (datetime.now(timezone.utc) + timedelta(days=10)).astimezone().strftime("%Y-%m-%dT17:00")
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Type").select_option("job_fair")
    page.get_by_label("Description").fill("Rencontrez trois entreprises qui recrutent des caristes.")
    page.get_by_label("Début").fill(starts)
    page.get_by_label("Fin").fill(ends)
    page.get_by_label("Lieu").fill("Agence de Lille, 10 rue Nationale")
    page.get_by_label("Nombre de places").fill("2")
    page.get_by_role("button", name="Publier l'événement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    event_path = re.search(r"/evenements/[A-Za-z0-9_-]+", page.url).group(0)

    members = []
    for name in ("Inès", "Hugo", "Léa"):
        account = member_account(name=name)
        person = people(name, javascript=javascript)
        person.sign_in(account["email"], account["password"])
        members.append(person)
    for index, person in enumerate(members):
        page = visit(person, "/evenements", "événements", "evenements" if index == 0 and javascript else None)
        page.get_by_role("link", name=title).click()
        page.wait_for_url(re.compile(event_path))
        if index == 0:
            person.check_accessibility("événement")
            screenshot(page, "evenement") if javascript else None
        page.get_by_role("button", name=re.compile("Je m'inscris|liste d'attente")).click()
        expected = "liste d'attente, en position 1" if index == 2 else "votre place est réservée"
        expect(page.locator(".fr-alert--success")).to_contain_text(expected, ignore_case=True)
    expect(members[2].page.locator("#statut-inscription")).to_contain_text("en position 1")

    with members[0].page.expect_download() as download:
        members[0].page.get_by_role("link", name=re.compile("Ajouter à mon agenda")).click()
    calendar = open(download.value.path(), encoding="utf-8").read()
    assert "BEGIN:VCALENDAR" in calendar and title in calendar

    members[1].goto(event_path)
    members[1].page.get_by_role("button", name="Annuler mon inscription").click()
    expect(members[1].page.locator(".fr-alert--success")).to_contain_text("Votre inscription est annulée")
    wait_for_text(members[2], event_path, "#statut-inscription", "Votre place est réservée")
    wait_for_text(members[2], "/notifications", ".app-notifications", "place")
    visit(members[2], "/mes-evenements", "mes événements")
    expect(members[2].page.locator("main")).to_contain_text("place réservée")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_edits_the_profile_downloads_the_data_and_deletes_the_account(
        people, member_account, javascript):
    account = member_account(name="Sofia")
    person = people("Sofia", javascript=javascript)
    person.sign_in(account["email"], account["password"])
    page = visit(person, "/profil", "profil", "profil" if javascript else None)
    page.get_by_label("Nom affiché").fill("Sofia B.")
    page.get_by_label("Quelques mots sur vous (facultatif)").fill("Préparatrice de commandes, je cherche un CDI.")
    page.locator("input[name=topics] + label").first.click()
    page.get_by_role("button", name="Enregistrer mon profil").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre profil est enregistré")
    expect(page.get_by_label("Nom affiché")).to_have_value("Sofia B.")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger toutes mes données")).click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert "Sofia B." in json.dumps(data, ensure_ascii=False)

    page = visit(person, "/profil/supprimer", "supprimer mon compte", "supprimer-compte" if javascript else None)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.locator("#erreurs")).to_contain_text("Cochez la case")  # not without confirming
    page.locator("label[for=confirm]").click()
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre compte et vos données sont supprimés")

    page = person.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#erreurs")).to_contain_text("Adresse e-mail ou mot de passe incorrect")
    person.check_accessibility("connexion refusée")


def test_keyboard_only_sign_in_feed_and_posting(people, member_account):
    account = member_account(name="Karim")
    person = people("Karim")
    page = person.goto("/connexion")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(":focus")).to_have_text("Aller au contenu")
    for _ in range(10):  # then, through the header, the e-mail field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(account["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(account["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Karim")
    # From the feed, reach "Poser une question" with Tab only and open it.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Poser une question":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/publier"))
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "title":
            break
    title = f"Au clavier {uuid.uuid4().hex[:4]} : quelle formation choisir ?"
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    page.keyboard.type("Je ne sais pas quelle formation choisir pour devenir cariste.")
    for _ in range(200):  # past the topics to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Publier":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
