"""Hostile clients and the browser: HSTS, no-store on private answers, a
Content-Security-Policy everywhere, and /docs with the gateway's own assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

HSTS = "max-age=31536000; includeSubDomains"


def test_every_answer_carries_hsts_and_a_restrictive_csp(client, auth, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    for response in (client.get("/healthz"), client.get("/v1/agencies"), client.get("/v1/me"),
                     client.get("/v1/me", headers=auth())):
        assert response.headers["strict-transport-security"] == HSTS
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_authenticated_answers_are_never_stored(client, auth, fake_rpc):
    fake_rpc.replies[("identity", "get_me")] = {"id": "u1"}
    fake_rpc.replies[("identity", "list_agencies")] = []
    assert client.get("/v1/me", headers=auth()).headers["cache-control"] == "no-store"
    assert client.get("/v1/agencies", headers=auth()).headers["cache-control"] == "no-store"
    # Refused ones too: a 401 to a request that carried a token.
    assert client.get("/v1/me", headers={"Authorization": "Bearer nope"}).headers["cache-control"] == "no-store"


def test_token_answers_are_never_stored(client, fake_rpc):
    fake_rpc.replies[("identity", "login")] = {"access_token": "at", "refresh_token": "rt", "token_type": "bearer",
                                               "expires_in": 900}
    response = client.post("/v1/auth/token", json={"email": "lea@exemple.fr", "password": "x" * 12})
    assert response.headers["cache-control"] == "no-store"


def test_public_anonymous_answers_may_be_cached(client, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    assert "cache-control" not in client.get("/v1/agencies").headers


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if "src" in attrs:
                self.urls.append(attrs["src"])
            else:
                self._in_script = True
        if tag == "link":
            self.urls.append(attrs["href"])
        if tag == "style" or "style" in attrs:
            self.inline_styles += 1

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_docs_are_served_with_the_gateways_own_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = Assets()
    assets.feed(page.text)
    assert assets.inline_scripts == 0 and assets.inline_styles == 0
    assert len(assets.urls) == 4
    for url in assets.urls:
        assert url.startswith("/docs/assets/"), url  # the gateway's own, no CDN
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 200, url
    assert client.get("/docs/assets/vendor/swagger-ui/swagger-ui-bundle.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))
    assert "SwaggerUIBundle" in client.get("/docs/assets/vendor/swagger-ui/swagger-ui-bundle.js").text
    assert 'data-openapi-url="/openapi.json"' in page.text


def test_the_docs_page_allows_no_third_party_origin(client):
    policy = client.get("/docs").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, nothing from elsewhere
    assert not re.search(r"https?:|\*|unsafe-inline|unsafe-eval", policy)
    assert directives["frame-ancestors"] == "'none'"


def test_swagger_ui_is_pinned_and_credited():
    from gateway.docs import STATIC_DIR

    vendor = STATIC_DIR / "vendor" / "swagger-ui"
    assert (vendor / "VERSION").read_text().strip() == "swagger-ui-dist 5.35.0"
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert "SWAGGER_UI=5.35.0" in (STATIC_DIR.parent / "vendor.sh").read_text()
    # The init script turns off the default online validator (validator.swagger.io).
    assert "validatorUrl: null" in (STATIC_DIR / "swagger-init.js").read_text()


def test_redoc_and_fastapis_cdn_pages_are_gone(client):
    assert client.get("/redoc").status_code == 404
    assert "cdn" not in client.get("/docs").text.lower()
