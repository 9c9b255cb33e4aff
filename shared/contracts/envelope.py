"""The envelope every event travels in, and the base class of event payloads."""
import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """A versioned event contract. Subclasses set `event_type` and `version`.

    `event_type` is `<service>.<noun>_<past verb>`; the part after the dot is
    the routing key on the producer's `<service>.events` exchange. Changes are
    additive; a breaking change is a new class with the next version.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def producer(cls) -> str:
        return cls.event_type.split(".", 1)[0]

    @classmethod
    def routing_key(cls) -> str:
        return cls.event_type.split(".", 1)[1]


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    producer: str
    correlation_id: str | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, event: EventPayload, correlation_id: str | None = None) -> "Envelope":
        return cls(
            event_type=event.event_type,
            version=event.version,
            producer=event.producer(),
            correlation_id=correlation_id,
            payload=event.model_dump(mode="json"),
        )

    @property
    def routing_key(self) -> str:
        return self.event_type.split(".", 1)[1]
