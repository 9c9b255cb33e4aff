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
