"""identity over real RPC, RabbitMQ and PostgreSQL."""
import jwt
import pytest
from nameko.exceptions import RemoteError

from stack.testing import db_connect

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def identity(start_service):
    return start_service("identity")


def test_pilot_agencies_are_seeded(identity, rpc):
    agencies = rpc().identity.list_agencies()
    assert len(agencies) == 11
    assert len({a["region"] for a in agencies}) == 4


def test_register_then_login_gives_a_verifiable_token(identity, rpc, make_member, platform):
    member = make_member("job_seeker", "OCC-TOULOUSE")
    assert member["role"] == "job_seeker" and member["agency_code"] == "OCC-TOULOUSE"

    pair = rpc().identity.login({"email": member["email"], "password": member["password"]})
    claims = jwt.decode(
        pair["access_token"],
        platform.jwt_public_key_path.read_bytes(),
        algorithms=["EdDSA"],
        audience=platform.jwt_audience,
        issuer=platform.jwt_issuer,
    )
    assert claims["sub"] == member["id"] and claims["role"] == "job_seeker" and claims["agency"] == "OCC-TOULOUSE"
    me = rpc({"id": member["id"], "role": "job_seeker", "agency_code": "OCC-TOULOUSE"}).identity.get_me()
    assert me["email"] == member["email"]


def test_password_is_stored_as_argon2id(identity, make_member, platform):
    member = make_member()
    with db_connect(platform, "identity") as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE id = %s", (member["id"],)).fetchone()
    assert stored.startswith("$argon2id$") and member["password"] not in stored


def test_registration_is_announced_through_the_outbox(identity, make_member, platform):
    member = make_member()
    with db_connect(platform, "identity") as conn:
        row = conn.execute(
            "SELECT event_type, envelope->'payload'->>'user_id' FROM outbox WHERE envelope->'payload'->>'user_id' = %s "
            "ORDER BY id LIMIT 1",
            (member["id"],),
        ).fetchone()
    assert row == ("identity.user_registered", member["id"])


def test_expected_failures_travel_as_typed_errors(identity, rpc, make_member):
    member = make_member()
    with pytest.raises(RemoteError) as wrong:
        rpc().identity.login({"email": member["email"], "password": "pas le bon mot de passe"})
    assert wrong.value.exc_type == "Unauthorized"
    with pytest.raises(RemoteError) as unknown:
        rpc().identity.login({"email": "personne@exemple.fr", "password": "pas le bon mot de passe"})
    assert unknown.value.exc_type == "Unauthorized" and unknown.value.value == wrong.value.value
    with pytest.raises(RemoteError) as forbidden:
        rpc({"id": member["id"], "role": "job_seeker", "agency_code": "HDF-LILLE"}).identity.create_agency(
            {"code": "X-1", "name": "Agence X", "region": "Bretagne"}
        )
    assert forbidden.value.exc_type == "Forbidden"
