"""The outbox relay: sends committed outbox rows to RabbitMQ with publisher
confirms, marks them sent, and retries until the broker confirms.

A batch is published at once and its confirms awaited together: waiting for
each message's confirm before sending the next (a quorum queue confirms once
its replicas have written it) bounded how many events a second a service
could send (issue 17, docs/benchmarks.md). A row is marked sent only once the
broker has confirmed every message of its batch; a nack, a timeout or a lost
connection rolls the batch back, to be sent again.

Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas share the work. A
crash after the broker confirmed but before the row is marked sent makes the
event go out twice: consumers are idempotent (inbox), so that is harmless;
losing it would not be.
"""
import logging
import time

from amqp import spec
from kombu import Connection
from sqlalchemy import Engine, func, select, update

from shared.db.tables import outbox
from shared.observability import metrics

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_SECONDS = 30


class Unconfirmed(Exception):
    """The broker nacked a message of the batch, or did not confirm in time."""


class ConfirmedChannel:
    """A channel in confirm mode that publishes a batch, then waits until the
    broker has confirmed all of it (delivery tags count publishes from 1)."""

    def __init__(self, connection: Connection):
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.producer = connection.Producer(self.channel, serializer="json")
        self._last_tag = 0
        self._waiting: set[int] = set()
        self._nacked_any = False

    def publish(self, body, **options) -> None:
        self.producer.publish(body, **options)
        self._last_tag += 1
        self._waiting.add(self._last_tag)

    def wait_for_confirms(self, timeout: float = CONFIRM_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while self._waiting and not self._nacked_any:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Unconfirmed(f"{len(self._waiting)} messages not confirmed within {timeout}s")
            self.channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=remaining)
        if self._nacked_any:
            raise Unconfirmed("the broker refused a message (nack)")

    def _settle(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._waiting = {tag for tag in self._waiting if tag > delivery_tag}
        else:
            self._waiting.discard(delivery_tag)

    def _acked(self, delivery_tag, multiple) -> None:
        self._settle(delivery_tag, multiple)

    def _nacked(self, delivery_tag, multiple) -> None:
        self._settle(delivery_tag, multiple)
        self._nacked_any = True


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service: str, batch_size: int = 100):
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.service = service
        self.batch_size = batch_size
        self._connection = None
        self._confirmed: ConfirmedChannel | None = None

    def _channel(self) -> ConfirmedChannel:
        if self._confirmed is None:
            self._connection = Connection(self.amqp_uri)
            self._confirmed = ConfirmedChannel(self._connection)
        return self._confirmed

    def close(self) -> None:
        self._confirmed = None
        if self._connection is not None:
            self._connection.release()
            self._connection = None

    def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.exchange, outbox.c.routing_key, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            channel = self._channel()
            for row in rows:
                envelope = row.envelope
                channel.publish(
                    envelope,
                    exchange=row.exchange,
                    routing_key=row.routing_key,
                    declare=[],
                    delivery_mode=2,
                    message_id=envelope["event_id"],
                    headers={
                        "nameko.correlation_id": envelope.get("correlation_id") or envelope["event_id"],
                        "event_type": envelope["event_type"],
                        "event_version": envelope["version"],
                    },
                )
            # Any failure from here rolls the batch back: sent again later
            # (a consumer skips what it has seen, decision 5).
            channel.wait_for_confirms()
            conn.execute(
                update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(published_at=func.now())
            )
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    def drain(self) -> int:
        sent = total = self.publish_pending()
        while sent == self.batch_size:
            sent = self.publish_pending()
            total += sent
        return total

    def record_failure(self, error: BaseException) -> None:
        """Count a failed attempt on the oldest unsent rows (for operators)."""
        metrics.OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
        self.close()
        try:
            with self.engine.begin() as conn:
                oldest = (
                    select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(self.batch_size)
                )
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(oldest.scalar_subquery()))
                    .values(attempts=outbox.c.attempts + 1, last_error=type(error).__name__ + ": " + str(error)[:500])
                )
        except Exception:  # the database may be what failed; the next loop retries
            log.warning("outbox: could not record the failure", exc_info=True)

    def observe_backlog(self) -> None:
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            ).one()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
