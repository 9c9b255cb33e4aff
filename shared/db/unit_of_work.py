"""The unit of work: one transaction holding a state change, the events it
records (outbox rows) and, for consumers, the inbox mark of the event handled.

Handlers receive a unit of work and never commit-then-publish: events are
written to the outbox in the same transaction and a relay sends them after.
Services subclass it to attach their repositories in `_start()`.
"""
import uuid
from collections.abc import Callable

from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts import Envelope, EventPayload
from shared.db import idempotency
from shared.db.tables import outbox

# The inbox mark and the outbox rows are written by every handler: plain SQL
# run on the session's connection, not statements built, compiled and sent
# through the ORM each time (130 us less per handled event, issue 17).
CLAIM_SQL = ("INSERT INTO inbox (consumer, event_id) SELECT %(consumer)s, id FROM unnest(%(event_ids)s::uuid[]) AS id "
             "ON CONFLICT DO NOTHING RETURNING event_id")
OUTBOX_SQL = ("INSERT INTO outbox (event_id, event_type, exchange, routing_key, envelope) "
              "VALUES (%(event_id)s, %(event_type)s, %(exchange)s, %(routing_key)s, %(envelope)s)")


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker,
        correlation_id: str | None = None,
        on_commit: Callable[[], None] | None = None,
    ):
        self._session_factory = session_factory
        self.correlation_id = correlation_id
        self._on_commit = on_commit
        self.session: Session | None = None
        self._pending: list[Envelope] = []
        self.incoming: Envelope | None = None  # the event being handled, if any
        self._read_only = False
        self._idempotent: idempotency.IdempotentRequest | None = None
        self._published = False

    def __enter__(self):
        self.session = self._session_factory()
        self._pending = []
        self._read_only = False
        self._idempotent = None
        self._published = False  # outbox rows written in this transaction
        self._start()
        return self

    def _start(self) -> None:
        """Attach repositories to self.session (overridden by services)."""

    def __exit__(self, *exc):
        # close() ends a transaction still open by rolling it back (the pool
        # resets the connection it takes back): anything uncommitted is
        # undone. A rollback() before it did the same work twice: 7 % of
        # posts' CPU per read (issue 17).
        self.session.close()

    def read_only(self) -> None:
        """This unit of work only reads: its statements run in autocommit,
        so a read costs its queries alone, without the BEGIN before them and
        the ROLLBACK after (psycopg skips a rollback with no transaction
        open). Each statement sees its own snapshot. Call it before the
        first statement; a commit afterwards is an error."""
        self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self._read_only = True

    def record(self, event: EventPayload) -> Envelope:
        """Record an event; it is written to the outbox on commit."""
        envelope = Envelope.wrap(event, self.correlation_id)
        self._pending.append(envelope)
        return envelope

    def claim(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Mark an incoming event handled by `consumer`, in this transaction.

        False when it was handled before: the caller skips it (at-least-once
        delivery made idempotent). Concurrent duplicates serialise on the
        primary key, so exactly one transaction wins.
        """
        return bool(self.claim_all(consumer, [event_id]))

    def claim_all(self, consumer: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """`claim` for a batch of events in one statement: those not handled
        before (an id twice in the batch is claimed once)."""
        inserted = self.session.connection().exec_driver_sql(CLAIM_SQL, {"consumer": consumer,
                                                                         "event_ids": list(event_ids)})
        return {row[0] for row in inserted}

    def forget_published_events(self) -> None:
        """Delete outbox rows already sent. Sent events are not needed any
        more, and they may carry a member's personal data: after an erasure
        nothing of the member stays behind in the outbox."""
        self.session.execute(outbox.delete().where(outbox.c.published_at.is_not(None)))

    def begin_idempotent(self, request: idempotency.IdempotentRequest, now) -> idempotency.Replay | None:
        """Start a creating request that carries an Idempotency-Key: the
        stored answer if it was done before (nothing to do), else None and
        the handler's `commit()` is held until `finish_idempotent` records
        the answer with the write, in one transaction."""
        replay = idempotency.claim(self.session, request, now)
        if replay is None:
            self._idempotent = request
        return replay

    def finish_idempotent(self, response, now) -> None:
        request, self._idempotent = self._idempotent, None
        idempotency.remember(self.session, request, response, now)
        self._commit_now()

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._idempotent is not None:
            # The handler is done writing; its answer is not known yet. Write
            # what it recorded and surface constraint errors where they used
            # to appear; the transaction commits in finish_idempotent.
            self._write_outbox()
            self.session.flush()
            return
        self._commit_now()

    def _commit_now(self) -> None:
        self._write_outbox()
        self.session.commit()
        published, self._published = self._published, False
        if published and self._on_commit:
            self._on_commit()  # wake the relay: events leave now, not at the next poll

    def _write_outbox(self) -> None:
        if self._pending:
            self.session.connection().exec_driver_sql(OUTBOX_SQL, [
                {
                    "event_id": env.event_id,
                    "event_type": env.event_type,
                    "exchange": f"{env.producer}.events",
                    "routing_key": env.routing_key,
                    "envelope": Jsonb(env.model_dump(mode="json")),
                }
                for env in self._pending
            ])
            self._published = True
        self._pending = []
