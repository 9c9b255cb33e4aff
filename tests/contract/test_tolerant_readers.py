"""Tolerant readers: a consumer built on an older contract accepts what a
newer producer emits when the change is additive (an extra field in the
payload, an extra field in the envelope), for every event contract; the
producer itself still cannot emit a field its contract does not have."""
import typing
from datetime import datetime, timezone

import pydantic
import pytest

from shared.contracts import ALL_EVENTS, Envelope, EventPayload, parse_payload


def sample_value(annotation):
    """A valid value of a contract field's type (the contracts use flat types)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType")):
        return sample_value(next(a for a in args if a is not type(None)))
    if origin is list:
        return [sample_value(args[0])] if args else []
    return {str: "valeur", int: 1, bool: True, float: 1.0,
            datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)}[annotation]


def sample(cls: type[EventPayload]) -> EventPayload:
    return cls(**{name: sample_value(field.annotation) for name, field in cls.model_fields.items()})


def newer_producer_message(cls: type[EventPayload]) -> dict:
    """What the next (additive) version of `cls`'s producer would send."""
    message = Envelope.wrap(sample(cls), correlation_id="req-1").model_dump(mode="json")
    message["payload"]["added_by_a_newer_producer"] = {"any": ["shape"]}
    message["trace_parent"] = "00-added-to-the-envelope-01"
    return message


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: f"{c.event_type}.v{c.version}")
def test_an_older_consumer_reads_a_newer_producers_event(cls):
    message = newer_producer_message(cls)
    envelope = Envelope.read(message)
    event = parse_payload(envelope)
    assert isinstance(event, cls)
    assert event == sample(cls)  # every known field read, the unknown ones ignored


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: f"{c.event_type}.v{c.version}")
def test_a_producer_cannot_emit_a_field_its_contract_lacks(cls):
    fields = sample(cls).model_dump()
    with pytest.raises(pydantic.ValidationError):
        cls(**fields, added_by_a_newer_producer=1)


def test_a_missing_required_field_is_still_refused():
    cls = next(c for c in ALL_EVENTS if c.event_type == "posts.post_created")
    message = newer_producer_message(cls)
    del message["payload"]["title"]
    with pytest.raises(pydantic.ValidationError):
        parse_payload(Envelope.read(message))
