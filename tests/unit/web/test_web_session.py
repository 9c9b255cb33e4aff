"""Sealed session cookies, CSRF tokens and the shared token refresh."""
import asyncio

import pytest

from web import csrf
from web.session import RefreshFailed, Refresher, Session, SessionSealer

TOKENS = {"access_token": "a" * 300, "refresh_token": "r" * 43, "expires_in": 900}
USER = {"id": "u1", "role": "job_seeker", "agency_code": "HDF-LILLE", "display_name": "Inès", "email": "x@y.fr"}


def test_a_sealed_session_opens_only_with_the_same_secret_and_untouched():
    sealer = SessionSealer("s" * 40, max_age_seconds=3600)
    session = Session()
    session.sign_in(TOKENS, USER, now=1000.0)
    cookie = sealer.seal(session, now=1000)
    assert "a" * 50 not in cookie  # encrypted, not merely signed
    opened = sealer.unseal(cookie, now=1001)
    assert opened.access_token == TOKENS["access_token"] and opened.user["display_name"] == "Inès"
    assert "email" not in opened.user  # only what pages need
    assert SessionSealer("t" * 40, 3600).unseal(cookie, now=1001) is None
    tampered = cookie[:-5] + ("A" if cookie[-5] != "A" else "B") + cookie[-4:]
    assert sealer.unseal(tampered, now=1001) is None
    assert sealer.unseal(cookie, now=1000 + 3601) is None  # too old
    assert sealer.unseal("n'importe quoi") is None and sealer.unseal(None) is None
    assert len(cookie) < 4000  # fits in a cookie


def test_signing_in_and_out_renews_the_csrf_secret():
    session = Session()
    anonymous = session.csrf
    session.sign_in(TOKENS, USER, now=0.0)
    assert session.csrf != anonymous and session.signed_in
    signed = session.csrf
    session.sign_out()
    assert session.csrf != signed and not session.signed_in and session.refresh_token is None


def test_the_access_token_is_refreshed_a_little_before_it_expires():
    session = Session()
    session.sign_in(TOKENS, USER, now=0.0)
    assert not session.needs_refresh(now=800.0, margin=30)
    assert session.needs_refresh(now=871.0, margin=30)


def test_csrf_tokens_must_match_exactly():
    assert csrf.is_valid("abc", "abc")
    assert not csrf.is_valid("abc", "abd") and not csrf.is_valid("abc", None) and not csrf.is_valid(None, "abc")


def test_concurrent_requests_share_one_refresh_and_its_answer():
    calls = []

    async def exchange(token):
        calls.append(token)
        await asyncio.sleep(0.01)
        return {"access_token": "new", "refresh_token": "new-r", "expires_in": 900}

    async def scenario():
        refresher = Refresher(keep_seconds=60)
        results = await asyncio.gather(*(refresher.refresh("old", exchange) for _ in range(5)))
        later = await refresher.refresh("old", exchange)  # a request still carrying the old cookie
        return results, later

    results, later = asyncio.run(scenario())
    assert calls == ["old"]  # the refresh token is used once: never replayed
    assert all(r["access_token"] == "new" for r in results) and later["refresh_token"] == "new-r"


def test_a_failed_refresh_is_shared_too():
    calls = []

    async def exchange(token):
        calls.append(token)
        raise RefreshFailed()

    async def scenario():
        refresher = Refresher()
        return await asyncio.gather(*(refresher.refresh("old", exchange) for _ in range(3)), return_exceptions=True)

    results = asyncio.run(scenario())
    assert calls == ["old"] and all(isinstance(r, RefreshFailed) for r in results)
