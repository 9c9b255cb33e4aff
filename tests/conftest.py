import uuid

import pytest

# Fixtures for tests with the real broker and database (stack/testing.py).
pytest_plugins = ["stack.testing"]

STRONG_PASSWORD = "une longue phrase de passe"


@pytest.fixture
def admin(platform):
    """The seeded national admin, as a caller."""
    from stack.testing import db_connect

    with db_connect(platform, "identity") as conn:
        (admin_id,) = conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").fetchone()
    return {"id": str(admin_id), "role": "admin", "agency_code": None}


@pytest.fixture
def make_member(rpc, admin):
    """Register a member through identity's real RPC: invitation, then registration."""

    def make(role: str = "job_seeker", agency_code: str | None = "HDF-LILLE", display_name: str = "Camille") -> dict:
        invitation = rpc(admin).identity.create_invitation({"role": role, "agency_code": agency_code})
        email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
        user = rpc().identity.register(
            {"invitation_code": invitation["code"], "email": email, "password": STRONG_PASSWORD, "display_name": display_name}
        )
        return {**user, "password": STRONG_PASSWORD}

    return make
