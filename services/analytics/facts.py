"""A fact: one consumed event as analytics stores it, without personal data.

    {event_id, event_type, version, producer, occurred_at, agency_code, actor, payload}

`payload` is the event's payload sanitised by privacy.sanitize_payload (people
as pseudonyms, no free text). Facts are the source of truth of analytics:
every derived table is rebuilt from them (rebuild.py). Pure functions.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.analytics.privacy import actor_field, sanitize_payload
from shared.contracts import Envelope, EventPayload

# Fields naming the person an event is about, to place it in their agency
# when the event itself carries no agency.
SUBJECT_FIELDS = ("user_id", "author_id", "mentee_id", "mentor_user_id")


def fact_of(envelope: Envelope, event: EventPayload, pseudonym) -> dict[str, Any]:
    raw = event.model_dump(mode="json")
    payload = sanitize_payload(raw, pseudonym)
    actor_name = actor_field(envelope.event_type, raw)
    actor = payload.get(actor_name) if actor_name else None
    if envelope.event_type == "identity.agency_created":
        agency = raw.get("code")
    else:
        agency = raw.get("agency_code")
    return {
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "version": envelope.version,
        "producer": envelope.producer,
        "occurred_at": envelope.occurred_at,
        "agency_code": agency,
        "actor": actor if isinstance(actor, str) else None,
        "payload": payload,
    }


def subject_of(fact: dict[str, Any]) -> str | None:
    """The pseudonym of the person the fact is about: its actor, else its subject."""
    if fact["actor"]:
        return fact["actor"]
    payload = fact["payload"]
    return next((payload[f] for f in SUBJECT_FIELDS if isinstance(payload.get(f), str)), None)


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
