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


def name_found_clean(platform, user: dict) -> None:
    """Moderation's verdict on the display name typed at registration (its
    submission 1), published as moderation publishes it: whether moderation
    runs or not, the name is then shown to others (a second verdict, from a
    moderation that runs, changes nothing)."""
    from datetime import datetime, timezone

    from kombu import Connection

    from shared.contracts import Envelope
    from shared.contracts.moderation import TextScreened
    from shared.messaging.amqp import events_exchange

    event = TextScreened(target_type="profile", target_id=user["id"], author_id=user["id"],
                         agency_code=user.get("agency_code"), text_version=1, verdict="clean", reasons=[], case_id=None,
                         screened_at=datetime.now(timezone.utc))
    envelope = Envelope.wrap(event, correlation_id="test").model_dump(mode="json")
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(envelope, exchange=events_exchange(event.producer()),
                                                 routing_key=event.routing_key(), delivery_mode=2)


@pytest.fixture
def make_member(rpc, admin, platform):
    """Register a member through identity's real RPC: invitation, then
    registration; by default their display name is then found clean and
    shown to others (`screened=False`: left waiting for moderation, issue 13)."""
    from stack.testing import wait_for

    def make(role: str = "job_seeker", agency_code: str | None = "HDF-LILLE", display_name: str = "Camille",
             screened: bool = True) -> dict:
        invitation = rpc(admin).identity.create_invitation({"role": role, "agency_code": agency_code})
        email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
        user = rpc().identity.register(
            {"invitation_code": invitation["code"], "email": email, "password": STRONG_PASSWORD, "display_name": display_name}
        )
        if screened:
            name_found_clean(platform, user)
            own = rpc({"id": user["id"], "role": user["role"], "agency_code": user["agency_code"]})
            wait_for(lambda: own.identity.get_me()["profile_moderation"] is None, timeout=10,
                     message="the registration's display name to be shown")
        return {**user, "password": STRONG_PASSWORD}

    return make
