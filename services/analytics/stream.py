"""The data team's stream: one message per domain event, without personal data.

A stream message (format `stream_version` 2) is

    {stream_version: 2, event_id, event_type, version, occurred_at, recorded_at,
     producer, agency_code, region, actor, payload}

where `event_type` and `version` are the source contract's, `actor` is the
pseudonym of who did it (or null), and `payload` is the contract's payload
with people's ids as pseudonyms, ids of things keyed (`k_…`) and free texts
dropped (privacy.py). Format 1 carried the ids of things raw
(docs/stream/README.md, "Versions"). The
models below are generated from the event contracts, one per type and
version; their JSON Schemas are published in docs/stream/schemas/
(`python -m services.analytics.stream_schemas`).
"""
from __future__ import annotations

import types
import typing
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.contracts import ALL_EVENTS, EventPayload
from services.analytics.privacy import PSEUDONYM_PATTERN, THING_ID_FIELDS, THING_KEY_PATTERN, classify

STREAM_VERSION = 2

Pseudonym = Annotated[str, Field(pattern=PSEUDONYM_PATTERN, description="keyed pseudonym of a person")]
ThingKey = Annotated[str, Field(pattern=THING_KEY_PATTERN, description="keyed id of a thing (post, comment, ...)")]


class StreamMessageBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stream_version: Literal[2] = Field(description="format of the stream message")
    event_id: uuid.UUID = Field(description="the source event's id: unique, use it to deduplicate")
    event_type: str
    version: int = Field(description="version of the source event contract")
    occurred_at: datetime = Field(description="when the source event happened")
    recorded_at: datetime = Field(description="when analytics recorded it")
    producer: str
    agency_code: str | None = Field(description="the agency the event belongs to, when known")
    region: str | None = Field(description="that agency's region, when known")
    actor: Pseudonym | None = Field(description="pseudonym of who did it, null for the platform itself")


def _is_optional(annotation) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (Union, types.UnionType) and type(None) in typing.get_args(annotation)


def _keyed_annotation(annotation, keyed=Pseudonym):
    inner = annotation
    optional = _is_optional(annotation)
    if optional:
        inner = next(a for a in typing.get_args(annotation) if a is not type(None))
    result = list[keyed] if typing.get_origin(inner) is list else keyed
    return result | None if optional else result


def _payload_model(cls: type[EventPayload]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        kind = classify(name)
        if kind == "person":
            fields[name] = (_keyed_annotation(info.annotation), ...)
        elif name in THING_ID_FIELDS:
            fields[name] = (_keyed_annotation(info.annotation, ThingKey), ...)
        elif kind == "kept":
            fields[name] = (info.annotation, ...)
    return create_model(
        f"{cls.__name__}V{cls.version}StreamPayload",
        __config__=ConfigDict(extra="forbid", frozen=True),
        **fields,
    )


def _message_model(cls: type[EventPayload]) -> type[StreamMessageBase]:
    return create_model(
        f"{cls.__name__}V{cls.version}StreamMessage",
        __base__=StreamMessageBase,
        __doc__=f"{cls.event_type} v{cls.version} on the analytics stream. " + (cls.__doc__ or "").strip(),
        event_type=(Literal[cls.event_type], ...),  # type: ignore[valid-type]
        version=(Literal[cls.version], ...),  # type: ignore[valid-type]
        payload=(_payload_model(cls), ...),
    )


@lru_cache
def stream_models() -> dict[tuple[str, int], type[StreamMessageBase]]:
    return {(cls.event_type, cls.version): _message_model(cls) for cls in ALL_EVENTS}


def model_of(event_type: str, version: int) -> type[StreamMessageBase]:
    return stream_models()[(event_type, version)]


def key_things(payload: dict[str, Any], thing_key) -> dict[str, Any]:
    """The payload with the ids of things keyed (`thing_key`: Pseudonymizer.thing)."""
    def keyed(value):
        if value is None:
            return None
        return [thing_key(str(v)) for v in value] if isinstance(value, list) else thing_key(str(value))
    return {k: keyed(v) if k in THING_ID_FIELDS else v for k, v in payload.items()}


def build_message(
    fact: dict[str, Any], region: str | None, recorded_at: datetime, thing_key
) -> dict[str, Any]:
    """The stream message of a stored fact (see facts.py), validated against its model."""
    model = model_of(fact["event_type"], fact["version"])
    message = model.model_validate(
        {
            "stream_version": STREAM_VERSION,
            "event_id": fact["event_id"],
            "event_type": fact["event_type"],
            "version": fact["version"],
            "occurred_at": fact["occurred_at"],
            "recorded_at": recorded_at,
            "producer": fact["producer"],
            "agency_code": fact["agency_code"],
            "region": region,
            "actor": fact["actor"],
            "payload": key_things(fact["payload"], thing_key),
        }
    )
    return message.model_dump(mode="json")
