"""The outbox relay: sends committed outbox rows to RabbitMQ with publisher
confirms, marks them sent, and retries until the broker confirms.

Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas share the work. A
crash after the broker confirmed but before the row is marked sent makes the
event go out twice: consumers are idempotent (inbox), so that is harmless;
losing it would not be.
"""
import logging
import time

from sqlalchemy import Engine, func, select, update

from shared.db.tables import outbox
from shared.messaging.amqp import confirming_connection
from shared.observability import metrics

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service: str, batch_size: int = 100):
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.service = service
        self.batch_size = batch_size
        self._connection = None

    def _producer(self):
        if self._connection is None:
            self._connection = confirming_connection(self.amqp_uri)
        return self._connection.Producer(serializer="json")

    def close(self) -> None:
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
            producer = self._producer()
            for row in rows:
                envelope = row.envelope
                producer.publish(
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
                    retry=True,
                    retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
                )
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
