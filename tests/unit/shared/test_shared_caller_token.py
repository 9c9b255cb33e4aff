"""The signed caller context: what the gateway signs, what a service believes."""
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.caller import Caller
from shared.caller_token import TOKEN_KEY, CallerSigner, CallerTokenError, CallerVerifier

KEY = Ed25519PrivateKey.generate()
ADVISOR = {"caller_id": "a1", "caller_role": "advisor", "caller_agency": "HDF-LILLE", "caller_session": "s1"}


def verifier(service: str = "posts", key=KEY) -> CallerVerifier:
    return CallerVerifier(key.public_key(), service)


def test_a_signed_caller_reads_back_whole_for_its_service():
    token = CallerSigner(KEY).sign(ADVISOR, audience="posts")
    assert verifier().verify(token) == ADVISOR
    assert Caller.from_context(verifier().verify(token)) == Caller("a1", "advisor", "HDF-LILLE", "s1")


def test_an_anonymous_caller_is_signed_too():
    context = CallerSigner(KEY).sign_context({"correlation_id": "c"}, audience="posts")
    assert verifier().verified_context(context) == {"correlation_id": "c"}
    assert not Caller.from_context(verifier().verified_context(context)).authenticated


def test_the_plain_caller_values_leave_the_context_for_the_token():
    context = CallerSigner(KEY).sign_context({"correlation_id": "c", **ADVISOR}, audience="posts")
    assert set(context) == {"correlation_id", TOKEN_KEY}


@pytest.mark.parametrize("token", [None, "", 42, "not-a-token"])
def test_a_missing_or_malformed_token_is_refused(token):
    with pytest.raises(CallerTokenError):
        verifier().verify(token)


def test_a_token_for_another_service_is_refused():
    token = CallerSigner(KEY).sign(ADVISOR, audience="moderation")
    with pytest.raises(CallerTokenError):
        verifier("posts").verify(token)


def test_a_token_for_several_services_is_valid_for_each():
    token = CallerSigner(KEY).sign(ADVISOR, audience=["posts", "moderation"])
    assert verifier("posts").verify(token) == verifier("moderation").verify(token) == ADVISOR


def test_an_expired_token_is_refused():
    token = CallerSigner(KEY, ttl_seconds=-60).sign(ADVISOR, audience="posts")
    with pytest.raises(CallerTokenError):
        verifier().verify(token)


def test_a_token_signed_by_another_key_is_refused():
    token = CallerSigner(Ed25519PrivateKey.generate()).sign(ADVISOR, audience="posts")
    with pytest.raises(CallerTokenError):
        verifier().verify(token)


def test_an_altered_token_is_refused():
    header, _, signature = CallerSigner(KEY).sign(ADVISOR, audience="posts").split(".")
    claims = jwt.decode(CallerSigner(KEY).sign(ADVISOR, audience="posts"), options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin"}, Ed25519PrivateKey.generate(), algorithm="EdDSA").split(".")[1]
    with pytest.raises(CallerTokenError):
        verifier().verify(f"{header}.{forged}.{signature}")


def test_an_unsigned_token_is_refused():
    claims = jwt.decode(CallerSigner(KEY).sign(ADVISOR, audience="posts"), options={"verify_signature": False})
    with pytest.raises(CallerTokenError):
        verifier().verify(jwt.encode({**claims, "role": "admin"}, None, algorithm="none"))


def test_forged_plain_headers_never_reach_the_caller():
    signed = CallerSigner(KEY).sign_context({}, audience="posts")
    trusted = verifier().verified_context({**signed, "caller_id": "x", "caller_role": "admin", "caller_extra": "y"})
    assert trusted == {}


class Clock:
    """time.time() of shared.caller_token, moved by hand."""

    def __init__(self, monkeypatch, now: float = 1_900_000_000.0) -> None:
        import shared.caller_token as module

        self.now = now
        monkeypatch.setattr(module.time, "time", lambda: self.now)


def test_a_caller_signed_once_is_reused_while_young_then_signed_anew(monkeypatch):
    # Signing per call was a sizeable part of a read's CPU (issue 17).
    clock = Clock(monkeypatch)
    signer = CallerSigner(KEY, ttl_seconds=60)
    first = signer.sign_context(ADVISOR, audience="posts")[TOKEN_KEY]
    clock.now += 29
    assert signer.sign_context(ADVISOR, audience="posts")[TOKEN_KEY] == first
    assert signer.sign_context(ADVISOR, audience="moderation")[TOKEN_KEY] != first
    assert signer.sign_context({**ADVISOR, "caller_role": "admin"}, audience="posts")[TOKEN_KEY] != first
    clock.now += 2  # past half its life: a service must always get one with 30 s left
    renewed = signer.sign_context(ADVISOR, audience="posts")[TOKEN_KEY]
    assert renewed != first
    claims = jwt.decode(renewed, options={"verify_signature": False})
    assert claims["exp"] - clock.now >= 59


def test_a_verified_caller_is_not_verified_again(monkeypatch):
    import shared.caller_token as module

    token = CallerSigner(KEY).sign(ADVISOR, audience="posts")
    checking = verifier()
    assert checking.verify(token) == ADVISOR
    monkeypatch.setattr(module.jwt, "decode", lambda *a, **k: pytest.fail("verified twice"))
    assert checking.verify(token) == ADVISOR
    checking.verify(token)["caller_role"] = "admin"  # a caller's copy, not the cache's
    assert checking.verify(token) == ADVISOR


def test_a_remembered_caller_token_still_expires(monkeypatch):
    import shared.caller_token as module

    clock = Clock(monkeypatch)
    token = CallerSigner(KEY, ttl_seconds=60).sign(ADVISOR, audience="posts")
    checking = verifier()
    # PyJWT reads the real clock: its first verdict is given here, on the fake one.
    monkeypatch.setattr(module.jwt, "decode", lambda *a, **k: {
        "sub": "a1", "role": "advisor", "agency": "HDF-LILLE", "sid": "s1", "exp": clock.now + 60})
    assert checking.verify(token) == ADVISOR
    clock.now += 60 + module.LEEWAY_SECONDS - 1
    assert checking.verify(token) == ADVISOR
    clock.now += 1
    with pytest.raises(CallerTokenError):
        checking.verify(token)

