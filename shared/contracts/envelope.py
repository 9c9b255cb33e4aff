"""The envelope every event travels in, and the base class of event payloads."""
import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


def _known(cls: type[BaseModel], data: Any) -> Any:
    """`data` without the keys `cls` does not know (a newer producer's fields)."""
    if not isinstance(data, dict):
        return data  # validation says what is wrong
    return {key: value for key, value in data.items() if key in cls.model_fields}


class TolerantReader:
    """Consumers read with `read()`: unknown fields are ignored, so a producer
    that adds an optional field and deploys first does not park its events
    in every older consumer. Producers still build models strictly
    (`extra="forbid"`: what they emit is exactly the published schema)."""

    @classmethod
    def read(cls, data: Any):
        return cls.model_validate(_known(cls, data))


class EventPayload(TolerantReader, BaseModel):
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


class Envelope(TolerantReader, BaseModel):
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
