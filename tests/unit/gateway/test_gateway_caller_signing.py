"""The gateway's RPC client signs the caller for the service it calls."""
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.rpc_client import RpcClient
from shared.caller_token import CallerSigner, CallerVerifier

KEY = Ed25519PrivateKey.generate()


def test_the_headers_carry_the_caller_signed_for_the_target_service_only():
    client = RpcClient("amqp://unused/", caller_signer=CallerSigner(KEY))
    headers = client._headers({"correlation_id": "c", "caller_id": "u1", "caller_role": "company",
                               "caller_agency": None}, "events")
    assert not any(key.startswith("nameko.caller_") and key != "nameko.caller_token" for key in headers)
    token = headers["nameko.caller_token"]
    assert CallerVerifier(KEY.public_key(), "events").verify(token) == {"caller_id": "u1", "caller_role": "company"}
    assert headers["nameko.correlation_id"] == "c"


def test_an_anonymous_call_is_signed_as_anonymous():
    client = RpcClient("amqp://unused/", caller_signer=CallerSigner(KEY))
    token = client._headers({"correlation_id": "c"}, "posts")["nameko.caller_token"]
    assert CallerVerifier(KEY.public_key(), "posts").verify(token) == {}


def test_without_its_signing_key_the_gateway_calls_nothing(tmp_path):
    from gateway.rpc_client import ServiceUnavailable

    client = RpcClient("amqp://unused/", caller_signer=CallerSigner.lazy(tmp_path / "absent.pem"))
    try:
        client._signed_headers({"correlation_id": "c"}, "posts", "get")
    except ServiceUnavailable as exc:
        assert exc.reason == "caller signing key missing"
    else:
        raise AssertionError("an unsigned call went out")
