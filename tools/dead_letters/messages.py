"""What a parked message says about itself: no broker here.

A message reaches the dead letters two ways (docs/messaging.md):
  - parked by shared.messaging.consumer after its last allowed delivery, with
    x-error, x-error-traceback, x-original-queue, x-attempts, x-dead-lettered-at;
  - dead-lettered by RabbitMQ itself (the event-queues policy's
    delivery-limit, for a consumer that dies on every delivery), with x-death
    and x-first-death-queue.
"""
import hashlib
import json
from dataclasses import dataclass

# Headers that describe a past delivery: a requeued message must not carry
# them, or the consumer would count the old failures (x-poison-attempts) and
# park it again at once.
STALE_ON_REQUEUE = ("x-delivery-count", "x-poison-attempts", "x-death", "x-first-death-exchange", "x-first-death-queue",
                    "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")


@dataclass(frozen=True)
class Parked:
    id: str
    event_type: str | None
    original_queue: str | None
    attempts: int | None
    dead_lettered_at: str | None
    error: str | None
    headers: dict
    body: object

    def summary(self) -> dict:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "original_queue": self.original_queue,
            "attempts": self.attempts,
            "dead_lettered_at": self.dead_lettered_at,
            "error": self.error,
        }


def decode_body(raw: bytes | str, content_type: str | None):
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if content_type in (None, "", "application/json"):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def original_queue(headers: dict) -> str | None:
    if headers.get("x-original-queue"):
        return str(headers["x-original-queue"])
    if headers.get("x-first-death-queue"):
        return str(headers["x-first-death-queue"])
    deaths = headers.get("x-death") or []
    return str(deaths[0].get("queue")) if deaths and deaths[0].get("queue") else None


def message_id(body, raw: bytes | str, properties_id: str | None) -> str:
    """The envelope's event id, else the AMQP message id, else a digest of the body."""
    if isinstance(body, dict) and body.get("event_id"):
        return str(body["event_id"])
    if properties_id:
        return str(properties_id)
    data = raw if isinstance(raw, bytes) else raw.encode()
    return "sha1:" + hashlib.sha1(data).hexdigest()[:16]


def describe(raw: bytes | str, headers: dict | None, content_type: str | None, properties_id: str | None = None) -> Parked:
    headers = dict(headers or {})
    body = decode_body(raw, content_type)
    attempts = headers.get("x-attempts")
    if attempts is None and headers.get("x-death"):
        attempts = sum(int(d.get("count", 0)) for d in headers["x-death"])
    error = headers.get("x-error")
    if error is None and headers.get("x-first-death-reason"):
        error = f"dead-lettered by RabbitMQ: {headers['x-first-death-reason']}"
    return Parked(
        id=message_id(body, raw, properties_id),
        event_type=(body.get("event_type") if isinstance(body, dict) else None) or headers.get("event_type"),
        original_queue=original_queue(headers),
        attempts=int(attempts) if attempts is not None else None,
        dead_lettered_at=headers.get("x-dead-lettered-at"),
        error=error,
        headers=headers,
        body=body,
    )


def requeue_headers(headers: dict, now_iso: str) -> dict:
    """The headers of a message sent back to its queue: the history of its
    failure is kept (x-error...), the delivery counters are not."""
    kept = {k: v for k, v in headers.items() if k not in STALE_ON_REQUEUE}
    kept["x-requeued-at"] = now_iso
    kept["x-requeue-count"] = int(headers.get("x-requeue-count") or 0) + 1
    return kept
