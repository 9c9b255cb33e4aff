"""Events published by the identity service."""
from datetime import datetime

from shared.contracts.envelope import EventPayload


class UserRegistered(EventPayload):
    event_type = "identity.user_registered"
    version = 1

    user_id: str
    display_name: str
    role: str
    agency_code: str | None
    registered_at: datetime
