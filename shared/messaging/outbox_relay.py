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

A batch is published at once and its confirms awaited together: waiting for
each event's confirm before sending the next (a quorum queue confirms once
it has written the message) bounded the events a second a service could
send (issue 17, docs/benchmarks.md). A row is marked sent once the broker
confirmed it. When the batch does not go through whole (a nack, a channel
the broker closes over one bad row, a confirm that does not come), what was
confirmed is marked and the rest is published again one row at a time, each
with its own confirm: the row that fails is found, recorded and skipped
there. A row that failed before goes that slow way from the start, so one
bad row does not make every batch fall back.
"""
import logging
import time

from amqp import spec
from kombu import Connection
from sqlalchemy import Engine, bindparam, func, select, update

from shared.db.tables import outbox
from shared.messaging.amqp import CONFIRM_TIMEOUT_SECONDS, confirming_connection
from shared.observability import metrics
from shared.transient import is_transient

log = logging.getLogger(__name__)

# Longest a batch publishes while it holds its rows locked.
PUBLISH_BUDGET_SECONDS = 5.0

# The relay's statements, built once: building and keying them again on every
# pass was 200 of the 500 us a pass spent on its SQL (issue 17). SQLAlchemy
# keeps a statement's cache key on the statement itself.
_SENT = update(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True))).values(published_at=func.now())
_FAILED = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"))
    .values(attempts=outbox.c.attempts + 1, last_error=bindparam("error"))
)
_BACKLOG = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))


class ConfirmChannel:
    """A channel in confirm mode on which a batch is published without
    waiting, then its confirms awaited together. The broker numbers the
    messages of a channel from 1 (delivery tags); an ack or a nack with
    `multiple` settles every tag up to its own. On a connection of its own,
    without kombu's `confirm_publish` (that waits after every publish)."""

    def __init__(self, amqp_uri: str):
        self.connection = Connection(amqp_uri, connect_timeout=CONFIRM_TIMEOUT_SECONDS)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.producer = self.connection.Producer(self.channel, serializer="json")
        self._tag = 0
        self._waiting: dict[int, object] = {}  # delivery tag -> row id
        self.confirmed: list = []
        self.refused: list = []

    def publish_batch(self, messages: list[tuple[object, dict]], timeout: float) -> None:
        """Publish (row id, message) pairs, then wait until the broker has
        acked or nacked each (TimeoutError past `timeout` seconds)."""
        self.confirmed, self.refused = [], []
        for row_id, message in messages:
            self.producer.publish(message.pop("body"), **message)
            self._tag += 1
            self._waiting[self._tag] = row_id
        deadline = time.monotonic() + timeout
        while self._waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._waiting)} publisher confirms not received within {timeout} s")
            self.channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=remaining)

    def release(self) -> None:
        self.connection.release()

    def drop(self) -> None:
        """Let the connection go without a word to the broker: one that
        stopped answering would hold a polite close for ever."""
        self.connection.collect()

    def _settle(self, delivery_tag: int, multiple: bool, into: list) -> None:
        tags = [t for t in self._waiting if t <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            if tag in self._waiting:
                into.append(self._waiting.pop(tag))

    def _acked(self, delivery_tag, multiple=False) -> None:
        self._settle(delivery_tag, multiple, self.confirmed)

    def _nacked(self, delivery_tag, multiple=False, requeue=False) -> None:
        self._settle(delivery_tag, multiple, self.refused)


class OutboxRelay:
    def __init__(self, engine: Engine, amqp_uri: str, service: str, batch_size: int = 100):
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.service = service
        self.batch_size = batch_size
        self._connection = None
        self._confirms: ConfirmChannel | None = None
        self._unsent = (
            select(outbox.c.id, outbox.c.exchange, outbox.c.routing_key, outbox.c.envelope, outbox.c.attempts)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )

    def _producer(self):
        if self._connection is None:
            self._connection = confirming_connection(self.amqp_uri)
        return self._connection.Producer(serializer="json")

    def close(self) -> None:
        if self._confirms is not None:
            confirms, self._confirms = self._confirms, None
            try:
                confirms.release()
            except Exception:  # already broken: nothing more to let go of
                log.debug("outbox: closing the batch channel failed", exc_info=True)
        if self._connection is not None:
            self._connection.release()
            self._connection = None

    @staticmethod
    def _message(row) -> dict:
        envelope = row.envelope
        return dict(
            body=envelope,
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

    def _publish_batch(self, rows) -> tuple[list, BaseException | None]:
        """Publish `rows` and wait for their confirms together: the ids the
        broker confirmed, and why the others were not (None when all were)."""
        try:
            if self._confirms is None:
                self._confirms = ConfirmChannel(self.amqp_uri)
            self._confirms.publish_batch([(row.id, self._message(row)) for row in rows], CONFIRM_TIMEOUT_SECONDS)
        except Exception as error:
            # The channel or its connection is in an unknown state (closed by
            # the broker over a bad row, or silent): fresh ones for what follows.
            confirmed = self._confirms.confirmed if self._confirms else []
            if self._confirms is not None:
                self._confirms, broken = None, self._confirms
                broken.drop()
            self.close()
            return confirmed, error
        if self._confirms.refused:
            return self._confirms.confirmed, RuntimeError(f"the broker refused {len(self._confirms.refused)} (nack)")
        return self._confirms.confirmed, None

    def _publish(self, row) -> None:
        message = self._message(row)
        self._producer().publish(
            message.pop("body"),
            **message,
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
            rows = conn.execute(self._unsent).all()
            fresh = [row for row in rows if not row.attempts]
            if len(fresh) > 1:
                confirmed, why = self._publish_batch(fresh)
                sent.extend(confirmed)
                if why is not None:
                    log.info("outbox: batch not confirmed whole, the rest goes one at a time",
                             extra={"confirmed": len(confirmed), "batch": len(fresh), "error": repr(why)[:300]})
            done = set(sent)
            for row in rows:
                if row.id in done:
                    continue
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
                conn.execute(_SENT, {"ids": sent})
            for row_id, error in failed.items():
                log.error("outbox: event refused, skipped", extra={"outbox_id": row_id, "error": repr(error)[:300]})
                conn.execute(_FAILED, {"row_id": row_id, "error": f"{type(error).__name__}: {error}"[:500]})
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
            count, oldest = conn.execute(_BACKLOG).one()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
