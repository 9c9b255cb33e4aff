"""The outbox relay: sends committed outbox rows to RabbitMQ with publisher
confirms, marks them sent, and retries until the broker confirms.

Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas share the work. A
crash after the broker confirmed but before the row is marked sent makes the
event go out twice: consumers are idempotent (inbox), so that is harmless;
losing it would not be.

The rows stay locked while they are published, so that time is bounded:
each publish waits at most CONFIRM_TIMEOUT_SECONDS for its confirm, a batch
stops publishing after PUBLISH_BUDGET_SECONDS (what was confirmed is marked,
the rest waits for the next pass), and the session's
idle_in_transaction_session_timeout (shared/db/engine.py) ends a
transaction stuck in spite of that. A row that fails on its own (its
exchange is gone, the broker refuses it) is marked with its error and
skipped: the rows behind it go out. Only a broker that is away stops the
batch.
"""
import logging
import time

from sqlalchemy import Engine, func, select, update

from shared.db.tables import outbox
from shared.messaging.amqp import CONFIRM_TIMEOUT_SECONDS, confirming_connection
from shared.observability import metrics
from shared.transient import is_transient

log = logging.getLogger(__name__)

# Longest a batch publishes while it holds its rows locked.
PUBLISH_BUDGET_SECONDS = 5.0


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

    def _publish(self, row) -> None:
        envelope = row.envelope
        self._producer().publish(
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
            confirm_timeout=CONFIRM_TIMEOUT_SECONDS,
            timeout=CONFIRM_TIMEOUT_SECONDS,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3},
        )

    def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent."""
        started = time.monotonic()
        sent, failed, broker_away = [], {}, None
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.exchange, outbox.c.routing_key, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if time.monotonic() - started > PUBLISH_BUDGET_SECONDS:
                    break
                try:
                    self._publish(row)
                except Exception as error:
                    self.close()  # a refused publish closes the channel
                    if is_transient(error):
                        broker_away = error
                        break
                    failed[row.id] = error
                    continue
                sent.append(row.id)
            if sent:
                conn.execute(update(outbox).where(outbox.c.id.in_(sent)).values(published_at=func.now()))
            for row_id, error in failed.items():
                log.error("outbox: event refused, skipped", extra={"outbox_id": row_id, "error": repr(error)[:300]})
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(attempts=outbox.c.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:500])
                )
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(sent))
        if failed:
            metrics.OUTBOX_PUBLISH_FAILURES.labels(self.service).inc(len(failed))
        if broker_away is not None:
            raise broker_away  # the loop backs off; what was confirmed is marked
        return len(sent)

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
