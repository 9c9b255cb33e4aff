"""The web app keeps identity's device token in its own cookie and sends it
back with the next sign-in (OWASP's device cookies, docs/security.md)."""
import json

import httpx

from tests.unit.web.conftest import csrf_of


def sign_in(web_client, email="ines@exemple.fr"):
    csrf = csrf_of(web_client.get("/connexion").text)
    return web_client.post("/connexion", data={"email": email, "password": "secret", "csrf_token": csrf})


def tokens_with_device(device: str):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": "a", "refresh_token": "r", "token_type": "bearer",
                                         "expires_in": 900, "device_token": device})
    return answer


def test_the_device_token_is_kept_in_its_own_cookie_and_sent_back(web_client, fake_gateway):
    fake_gateway.overrides[("POST", "/v1/auth/token")] = tokens_with_device("d1.premier")
    answer = sign_in(web_client)
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("appareil="))
    assert cookie.startswith("appareil=d1.premier;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=15552000" in cookie
    first = json.loads(fake_gateway.calls("POST", "/v1/auth/token")[0].content)
    assert "device_token" not in first  # a new browser has none

    # Signing out keeps the device known; the next sign-in sends its token and keeps the new one.
    csrf = csrf_of(web_client.get("/profil").text)
    web_client.post("/deconnexion", data={"csrf_token": csrf})
    fake_gateway.overrides[("POST", "/v1/auth/token")] = tokens_with_device("d1.second")
    answer = sign_in(web_client)
    second = json.loads(fake_gateway.calls("POST", "/v1/auth/token")[1].content)
    assert second["device_token"] == "d1.premier"
    assert web_client.cookies.get("appareil") == "d1.second"


def test_a_cookie_too_long_to_be_a_device_token_is_not_sent(web_client, fake_gateway):
    web_client.cookies.set("appareil", "x" * 500)
    sign_in(web_client)
    assert "device_token" not in json.loads(fake_gateway.calls("POST", "/v1/auth/token")[0].content)
