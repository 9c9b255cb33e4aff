"""Event contracts: the envelope and every versioned event model."""
from shared.contracts.envelope import Envelope, EventPayload
from shared.contracts.identity import UserRegistered
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated, PostHeld, PostPublished, PostRejected

ALL_EVENTS: tuple[type[EventPayload], ...] = (
    UserRegistered,
    PostCreated,
    PostPublished,
    PostHeld,
    PostRejected,
    ContentScreened,
)

_BY_KEY = {(cls.event_type, cls.version): cls for cls in ALL_EVENTS}


def payload_class(event_type: str, version: int) -> type[EventPayload]:
    return _BY_KEY[(event_type, version)]


def parse_payload(envelope: Envelope) -> EventPayload:
    """The typed payload of an envelope (raises KeyError for an unknown contract)."""
    return payload_class(envelope.event_type, envelope.version).model_validate(envelope.payload)


__all__ = ["ALL_EVENTS", "Envelope", "EventPayload", "parse_payload", "payload_class"]
