"""A service believes only the caller the gateway signed for it (issue 12,
item 8): an RPC published straight to the broker with forged
`nameko.caller_*` headers, or with a token that is unsigned, expired, for
another service, altered or signed by another key, is refused before any
worker runs; the same call signed as the gateway signs it goes through."""
import time
import uuid

import jwt
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.caller_token import ALGORITHM, ISSUER, CallerSigner
from shared.keys import write_key_pair
from shared.messaging.rpc import REFUSED_CALLER_DETAIL

pytestmark = pytest.mark.integration

ADMIN = {"caller_id": str(uuid.uuid4()), "caller_role": "admin"}


@pytest.fixture(scope="module")
def moderation(start_service):
    return start_service("moderation")


def call_queue(platform, context: dict):
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri, "serializer": "json"}, context_data=context,
                         timeout=15) as cluster:
        return cluster.moderation.queue({})


def assert_refused(platform, context: dict) -> None:
    with pytest.raises(RemoteError) as refused:
        call_queue(platform, context)
    assert refused.value.exc_type == "Unauthorized"
    assert refused.value.value == REFUSED_CALLER_DETAIL


def signer(platform) -> CallerSigner:
    return CallerSigner.from_file(platform.caller_private_key_path)


def test_forged_caller_headers_without_a_token_are_refused(platform, moderation):
    assert_refused(platform, {"correlation_id": "forged", **ADMIN, "caller_agency": "IDF-PARIS"})


def test_forged_headers_beside_a_signed_anonymous_caller_are_ignored(platform, moderation):
    context = signer(platform).sign_context({}, audience="moderation")
    with pytest.raises(RemoteError) as refused:
        call_queue(platform, {**context, **ADMIN})
    # Taken as the anonymous caller the token names, not as the admin the headers claim.
    assert refused.value.exc_type == "Unauthorized"
    assert refused.value.value != REFUSED_CALLER_DETAIL


def test_a_token_for_another_service_is_refused(platform, moderation):
    assert_refused(platform, signer(platform).sign_context(ADMIN, audience="posts"))


def test_an_expired_token_is_refused(platform, moderation):
    expired = CallerSigner.from_file(platform.caller_private_key_path, ttl_seconds=-60)
    assert_refused(platform, expired.sign_context(ADMIN, audience="moderation"))


def test_a_token_signed_by_another_key_is_refused(platform, moderation, tmp_path):
    private, _ = write_key_pair(tmp_path, "intruder")
    assert_refused(platform, CallerSigner.from_file(private).sign_context(ADMIN, audience="moderation"))


def test_an_altered_or_unsigned_token_is_refused(platform, moderation):
    signed = signer(platform).sign_context({"caller_id": str(uuid.uuid4()), "caller_role": "job_seeker"},
                                           audience="moderation")
    header, payload, signature = signed["caller_token"].split(".")
    claims = jwt.decode(signed["caller_token"], options={"verify_signature": False})
    promoted = jwt.utils.base64url_encode(jwt.api_jws.json.dumps({**claims, "role": "admin"}).encode()).decode()
    assert_refused(platform, {"caller_token": f"{header}.{promoted}.{signature}"})
    now = int(time.time())
    unsigned = jwt.encode({**claims, "role": "admin", "iss": ISSUER, "exp": now + 60}, key=None, algorithm="none")
    assert ALGORITHM != "none"
    assert_refused(platform, {"caller_token": unsigned})


def test_the_caller_signed_for_the_service_goes_through(platform, moderation):
    assert "items" in call_queue(platform, signer(platform).sign_context(ADMIN, audience="moderation"))
