"""The web app's pages, forms and sessions, against a stand-in gateway."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.unit.web.conftest import csrf_of

PAGES = {
    "job_seeker": ["/", "/recherche", "/recherche?q=cariste", "/publications/p1", "/publier", "/publier?type=testimony",
                   "/publications/p1/modifier", "/publications/p1/supprimer", "/signaler?cible=post&id=p1&publication=p1",
                   "/notifications", "/notifications/preferences", "/evenements", "/evenements/e1", "/mes-evenements",
                   "/mentorat", "/mentorat/demande?mentor=m1", "/mentorat/demandes", "/profil", "/profil/supprimer",
                   "/membres/u2"],
    "advisor": ["/conseiller/moderation", "/conseiller/moderation?source=reports", "/conseiller/sans-reponse",
                "/conseiller/indicateurs", "/conseiller/journal", "/conseiller/sanctions?membre=u2",
                "/invitations/nouvelle", "/evenements/nouveau"],
    "company": ["/entreprise", "/publier?type=job_info", "/publier?type=video", "/mentorat/profil", "/evenements/nouveau"],
    "admin": ["/admin/agences", "/invitations/nouvelle", "/conseiller/indicateurs"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_of_each_role_renders_with_one_h1_and_no_inline_script(role, web_client, signed_in):
    signed_in(role)
    for path in PAGES[role]:
        answer = web_client.get(path)
        assert answer.status_code == 200, (path, answer.text[-2000:])
        html = answer.text
        assert len(re.findall(r"<h1[ >]", html)) == 1, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert " style=" not in html, f"inline style on {path}"
        assert 'id="contenu"' in html and "Aller au contenu" in html


def test_pages_for_another_role_are_refused(web_client, signed_in):
    signed_in("job_seeker")
    for path in ("/conseiller/moderation", "/admin/agences", "/mentorat/profil", "/evenements/nouveau"):
        assert web_client.get(path).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in_and_back(web_client):
    answer = web_client.get("/evenements?type=workshop")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion?suite=/evenements%3Ftype%3Dworkshop"


def test_security_headers_and_cookie_flags(web_client):
    answer = web_client.get("/connexion")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-frame-options"] == "DENY"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # development


def test_cookies_are_secure_outside_development(fake_gateway):
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.settings import WebSettings

    with pytest.raises(ValueError):
        WebSettings(web_environment="production")  # the development secret is refused
    app = create_app(WebSettings(web_environment="production", web_cookie_secret="s" * 40))
    with TestClient(app, base_url="https://testserver") as client:
        assert "; Secure" in client.get("/connexion").headers["set-cookie"]


def test_a_form_without_its_csrf_token_changes_nothing(web_client, signed_in, fake_gateway):
    signed_in()
    before = len(fake_gateway.requests)
    answer = web_client.post("/publier", data={"kind": "question", "title": "Titre", "body": "Texte"})
    assert answer.status_code == 403
    assert "Formulaire expiré" in answer.text
    assert not [r for r in fake_gateway.requests[before:] if r.method == "POST"]
    answer = web_client.post("/publier", data={"kind": "question", "title": "Titre", "body": "Texte", "csrf_token": "forged"})
    assert answer.status_code == 403


def test_creating_forwards_the_idempotency_key_rendered_with_the_form_and_the_persons_address(
        web_client, signed_in, fake_gateway):
    csrf = signed_in()
    form = web_client.get("/publier").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = {"kind": "question", "title": "Comment faire ?", "body": "Texte", "csrf_token": csrf, "idempotency_key": key}
    for _ in range(2):  # a double click sends the same key twice
        assert web_client.post("/publier", data=data).status_code == 303
    sent = fake_gateway.calls("POST", "/v1/posts")
    assert [r.headers["Idempotency-Key"] for r in sent] == [key, key]
    assert sent[0].headers["X-Forwarded-For"] == "testclient"
    assert sent[0].headers["Authorization"].startswith("Bearer access-")


def test_gateway_validation_errors_are_listed_on_top_and_tied_to_their_field(web_client, signed_in, fake_gateway):
    csrf = signed_in()
    fake_gateway.overrides[("POST", "/v1/posts")] = lambda r: httpx.Response(422, json={
        "type": "about:blank", "title": "Données invalides", "status": 422, "detail": "La requête est invalide.",
        "errors": [{"loc": ["body", "title"], "msg": "Le titre est trop court (3 caractères au moins)."}]})
    answer = web_client.post("/publier", data={"kind": "question", "title": "Hé", "body": "Du texte à garder",
                                               "csrf_token": csrf})
    assert answer.status_code == 400
    html = answer.text
    assert 'role="alert"' in html and '<a href="#title">Le titre est trop court' in html
    assert re.search(r'aria-describedby="[^"]*title-error', html) and 'id="title-error"' in html
    assert "Du texte à garder" in html  # nothing typed is lost


def test_service_down_keeps_what_was_typed_and_retries_with_the_same_key(web_client, signed_in, fake_gateway):
    csrf = signed_in()
    fake_gateway.overrides[("POST", "/v1/posts/[\\w-]+/comments")] = lambda r: httpx.Response(
        503, json={"title": "Service indisponible", "status": 503})
    answer = web_client.post("/publications/p1/commentaires", data={
        "body": "Ma longue réponse", "csrf_token": csrf, "idempotency_key": "cle-de-mon-formulaire"})
    assert answer.status_code == 503
    html = answer.text
    assert "Le service ne répond pas" in html and "Ma longue réponse" in html
    assert 'value="cle-de-mon-formulaire"' in html and 'action="/publications/p1/commentaires"' in html


def test_the_access_token_is_refreshed_without_the_person_noticing(web_client, signed_in, fake_gateway):
    fake_gateway.expires_in = 10  # already within the refresh margin
    signed_in()
    cookie_before = web_client.cookies.get("session")
    refreshes = fake_gateway.refreshes
    assert web_client.get("/notifications").status_code == 200
    assert fake_gateway.refreshes > refreshes
    assert web_client.cookies.get("session") != cookie_before


def test_an_ended_login_sends_to_sign_in_with_a_message(web_client, signed_in, fake_gateway):
    signed_in()
    fake_gateway.overrides[("GET", "/v1/feed")] = lambda r: httpx.Response(401, json={"status": 401, "title": "Non authentifié"})
    answer = web_client.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")
    page = web_client.get(answer.headers["location"])
    assert "Votre session a pris fin" in page.text


def test_wrong_credentials_give_a_clear_french_message(web_client, fake_gateway):
    fake_gateway.overrides[("POST", "/v1/auth/token")] = lambda r: httpx.Response(401, json={"status": 401})
    csrf = csrf_of(web_client.get("/connexion").text)
    answer = web_client.post("/connexion", data={"email": "a@exemple.fr", "password": "x", "csrf_token": csrf})
    assert answer.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect" in answer.text
    assert 'value="a@exemple.fr"' in answer.text and 'value="x"' not in answer.text


def test_sign_in_returns_only_to_a_page_of_this_site(web_client):
    csrf = csrf_of(web_client.get("/connexion").text)
    answer = web_client.post("/connexion", data={"email": "a@exemple.fr", "password": "x", "csrf_token": csrf,
                                                 "suite": "https://ailleurs.example/piege"})
    assert answer.headers["location"] == "/"


def test_htmx_form_submissions_get_a_location_instead_of_a_redirect(web_client, signed_in):
    csrf = signed_in()
    answer = web_client.post("/publier", data={"kind": "question", "title": "Titre", "body": "Texte", "csrf_token": csrf},
                             headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer.headers["HX-Location"] == "/publications/p99"


def test_a_feed_page_of_twenty_posts_weighs_under_60_kb(web_client, signed_in):
    signed_in()
    html = web_client.get("/").content
    assert html.count(b'<article class="app-card') == 20
    assert len(html) < 60 * 1024, len(html)


def test_notification_links_lead_to_pages_of_this_site_only():
    from web.templating import safe_local_link

    assert safe_local_link("/v1/posts/abc") == "/publications/abc"
    assert safe_local_link("/v1/events/e-1") == "/evenements/e-1"
    assert safe_local_link("/v1/mentoring/requests") == "/mentorat/demandes"
    assert safe_local_link("https://evil.example/v1/posts/x") is None
    assert safe_local_link("//evil.example/") is None
    assert safe_local_link("/v1/unknown") is None


def test_ids_from_the_address_never_reach_another_gateway_path(web_client, signed_in, fake_gateway):
    signed_in()
    assert web_client.get("/publications/..%2F..%2Fme").status_code == 404
    assert not fake_gateway.calls("GET", "/v1/me/export")


def test_health_and_metrics(web_client):
    assert web_client.get("/healthz").json() == {"status": "ok"}
    web_client.get("/connexion")
    metrics = web_client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/connexion",status="200"}' in metrics


def test_metrics_are_not_served_through_a_proxy(web_client):
    assert web_client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


@pytest.mark.parametrize("status, shown", [
    ("pending", "en cours de vérification"),
    ("held", "attendent la vérification d'un modérateur"),
    ("refused", "n'a pas été retenue"),
])
def test_the_profile_page_says_where_a_new_name_or_bio_stands(web_client, signed_in, fake_gateway, status, shown):
    signed_in()
    me = {"id": "u1", "email": "ines@exemple.fr", "display_name": "Inès", "role": "job_seeker",
          "agency_code": "HDF-LILLE", "bio": "Appelez-moi", "topics": [], "created_at": "2026-03-01T09:00:00+00:00",
          "profile_moderation": status}
    fake_gateway.overrides[("GET", "/v1/me")] = lambda r: httpx.Response(200, json=me)
    html = web_client.get("/profil").text
    assert shown in html and "les autres membres voient" in html


def test_an_organiser_sees_that_the_events_texts_wait_for_moderation(web_client, signed_in, fake_gateway):
    signed_in("advisor")
    event = {"id": "e1", "title": "Atelier CV", "description": "Venez", "kind": "workshop",
             "starts_at": "2030-03-04T09:00:00+00:00", "ends_at": "2030-03-04T11:00:00+00:00", "location": "Lille",
             "online_url": None, "capacity": 2, "agency_code": "HDF-LILLE", "topics": [],
             "organizer": {"id": "u1", "display_name": "Inès"}, "status": "scheduled", "registered_count": 0,
             "waitlist_count": 0, "seats_left": 2, "created_at": "2026-03-01T09:00:00+00:00", "my_registration": None,
             "text_moderation": "held"}
    fake_gateway.overrides[("GET", "/v1/events/e1")] = lambda r: httpx.Response(200, json=event)
    fake_gateway.overrides[("GET", "/v1/events/e1/registrations")] = lambda r: httpx.Response(
        200, json={"items": [], "next_cursor": None})
    answer = web_client.get("/evenements/e1")
    assert answer.status_code == 200, answer.text
    assert "visible des membres après la vérification de ses textes par un modérateur" in answer.text


def test_a_held_profile_in_the_queue_is_named_and_can_be_approved_or_refused_only(web_client, signed_in, fake_gateway):
    signed_in("advisor")
    case = {"id": "k2", "target_type": "profile", "target_id": "u7", "agency_code": "HDF-LILLE",
            "reasons": ["personal_data.phone"], "source": "screening", "excerpt": "Appelez-moi au [masqué]",
            "created_at": "2026-03-01T09:00:00+00:00", "opened_at": "2026-03-01T09:00:00+00:00", "author_id": "u7",
            "status": "open"}
    fake_gateway.overrides[("GET", "/v1/moderation/queue")] = lambda r: httpx.Response(
        200, json={"items": [case], "next_cursor": None})
    html = web_client.get("/conseiller/moderation").text
    assert "Profil d&#39;un membre" in html or "Profil d'un membre" in html
    assert 'href="/membres/u7"' in html
    assert 'id="action-k2-approve"' in html and 'id="action-k2-reject"' in html and 'id="action-k2-hide"' not in html


def test_the_inbox_badge_counts_what_the_inbox_lists(web_client, signed_in, fake_gateway):
    # The badge's count is asked for when the page starts; a notification
    # created before the inbox's own call was listed unread under a badge
    # saying "aucune" (seen in tests/web/test_journeys.py). The inbox's own
    # answer sets the badge.
    signed_in()

    def notifications(request):
        if request.url.params.get("unread") == "true":  # the badge's call: before the notification
            return httpx.Response(200, json={"items": [], "next_cursor": None, "unread_count": 0})
        return httpx.Response(200, json={"items": [{"id": "n1", "type": "comment_on_post", "title": "Nouvelle réponse",
                                                    "body": "Hugo a répondu.", "link": "/v1/posts/p1",
                                                    "created_at": "2026-03-02T09:00:00+00:00", "read": False}],
                                         "next_cursor": None, "unread_count": 1})

    fake_gateway.overrides[("GET", r"/v1/notifications")] = notifications
    html = web_client.get("/notifications").text
    badge = re.sub(r"<[^>]+>", "", html.split('id="badge"', 1)[1].split("</a>", 1)[0])
    assert "1 non lue" in badge and "aucune" not in badge
