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
