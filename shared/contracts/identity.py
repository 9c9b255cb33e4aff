"""Events published by the identity service."""
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import EventPayload


class UserRegistered(EventPayload):
    """An account was created from an invitation (or the seeded admin).

    `email` is carried for the notifications service (e-mails) only; the
    analytics stream never forwards it."""

    event_type = "identity.user_registered"
    version = 1

    user_id: str
    email: str
    display_name: str
    role: str
    agency_code: str | None
    registered_at: datetime


class AgencyCreated(EventPayload):
    """An agency joined the platform; analytics keeps its agency → region map from these."""

    event_type = "identity.agency_created"
    version = 1

    code: str
    name: str
    region: str
    created_at: datetime


class ProfileUpdated(EventPayload):
    """A member changed what others see of them."""

    event_type = "identity.profile_updated"
    version = 1

    user_id: str
    display_name: str
    topics: list[str]
    updated_at: datetime


class UserErased(EventPayload):
    """The account was erased (GDPR): every service removes the member's
    personal data and shows their content as by a deleted user."""

    event_type = "identity.user_erased"
    version = 1

    user_id: str
    erased_at: datetime


class AccessRevoked(EventPayload):
    """Tokens already issued stop working: a member's (suspended, erased) or
    one login's (`session_id`: logout, or a replayed refresh token). Every
    gateway replica keeps these in memory and answers 401 until `until`
    (None: for good)."""

    event_type = "identity.access_revoked"
    version = 1

    user_id: str | None
    session_id: str | None
    reason: Literal["suspended", "erased", "session_revoked"]
    until: datetime | None
    revoked_at: datetime


class AccessRestored(EventPayload):
    """A suspension ended before its planned end, or was lifted by staff."""

    event_type = "identity.access_restored"
    version = 1

    user_id: str
    restored_at: datetime


# Version 2 of the member's events: the same, and `member_version`, the
# member's version at identity (1 at registration, one more on every change),
# so a copy of members applies them in order whatever order they arrive in
# (shared/db/members.py). Consumers accept both versions (a v1 counts as 0).


class UserRegisteredV2(UserRegistered):
    """An account was created from an invitation (or the seeded admin), at
    `member_version` 1. `email` is carried for the notifications service
    (e-mails) only; the analytics stream never forwards it."""

    event_type = "identity.user_registered"
    version = 2

    member_version: int


class ProfileUpdatedV2(ProfileUpdated):
    """A member changed what others see of them; `member_version` orders the changes."""

    event_type = "identity.profile_updated"
    version = 2

    member_version: int


class UserErasedV2(UserErased):
    """The account was erased (GDPR): every service removes the member's
    personal data and shows their content as by a deleted user; a copy of
    members keeps a tombstone at `member_version` that no later event undoes."""

    event_type = "identity.user_erased"
    version = 2

    member_version: int


class ProfileSubmitted(EventPayload):
    """A member proposed a new public name or presentation: moderation screens
    it; others keep seeing the previous clean one until moderation says the
    new one is clean (moderation.text_screened or text_decided, target_type
    `profile`). `text_version` numbers the member's submissions: only the
    verdict on the latest one counts."""

    event_type = "identity.profile_submitted"
    version = 1

    user_id: str
    agency_code: str | None
    text_version: int
    display_name: str
    bio: str
    submitted_at: datetime
