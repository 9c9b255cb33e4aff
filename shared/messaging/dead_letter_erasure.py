"""Erasure reaches the dead letters (decision 11): a parked envelope keeps
whatever its event carried (the e-mail of a user_registered, a post's body)
and would bring it back on a requeue. When a member is erased, every parked
message that mentions them (their id, or their e-mail when it is known) is
removed; the dead letters' retention (DEAD_LETTER_RETENTION_DAYS, a policy
on the queue) bounds what a message parked later keeps.

Messages are read with basic.get and left unacknowledged on one channel:
the matching ones are acknowledged (gone), the others go back to the queue
when the channel closes, also on a crash.
"""
import json
import logging

from kombu import Connection, Queue

from shared.messaging.amqp import DEAD_LETTER_QUEUE

log = logging.getLogger(__name__)

# Events that carry the member's id and nothing personal, and that erasure
# itself needs: a parked user_erased is how a service still has to erase the
# member, a parked access_revoked how a gateway still has to refuse them.
KEPT_EVENT_TYPES = frozenset({"identity.user_erased", "identity.access_revoked"})


def searchable_text(raw: bytes | str, headers: dict | None) -> str:
    """Body and headers as one lower-cased text, with JSON's \\u escapes
    undone so that an accented address or name matches too."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return (text + " " + json.dumps(headers or {}, ensure_ascii=False, default=str)).lower()


def mentions(raw: bytes | str, headers: dict | None, needles: list[str]) -> bool:
    text = searchable_text(raw, headers)
    return any(needle.lower() in text for needle in needles if needle)


def remove_parked_mentioning(amqp_uri: str, needles: list[str], queue: str = DEAD_LETTER_QUEUE) -> list[str]:
    """Drop every parked message whose body or headers hold one of `needles`;
    returns the event ids (or message ids) dropped."""
    needles = [n for n in needles if n and n.strip()]
    if not needles:
        return []
    removed, held = [], []
    with Connection(amqp_uri) as conn:
        parked = Queue(queue, channel=conn.channel(), no_declare=True)
        try:
            while (message := parked.get(no_ack=False)) is not None:
                if _event_type(message) not in KEPT_EVENT_TYPES and mentions(message.body, message.headers, needles):
                    message.ack()
                    removed.append(_id_of(message))
                else:
                    held.append(message)
        finally:
            for message in held:
                message.requeue()
    if removed:
        # Ids only: the needles are personal data and stay out of the logs.
        log.info("removed dead-lettered events of an erased member", extra={"event_ids": removed})
    return removed


def _envelope(message) -> dict:
    try:
        body = json.loads(message.body)
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _event_type(message) -> str | None:
    return _envelope(message).get("event_type")


def _id_of(message) -> str:
    return str(_envelope(message).get("event_id") or message.properties.get("message_id") or "-")
