"""No statement, lock wait or forgotten transaction holds a connection or a
lock for ever, and the outbox relay is not stopped by one bad row (real
PostgreSQL and RabbitMQ)."""
import time
import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from kombu import Connection, Queue
from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError

from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.tables import messaging_metadata, outbox
from shared.messaging.amqp import events_exchange
from shared.messaging.outbox_relay import OutboxRelay
from shared.transient import is_transient

pytestmark = pytest.mark.integration

SERVICE = "reltimeouts"


@pytest.fixture
def database(platform):
    ensure_database(platform, SERVICE)
    engine = make_engine(platform.database_url(SERVICE), pool_size=1, settings=platform)
    messaging_metadata.create_all(engine)
    yield engine
    engine.dispose()
    drop_database(platform, SERVICE)


def test_every_session_is_bounded_by_the_configured_timeouts(platform, database):
    with database.connect() as conn:
        shown = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in
                 ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
    assert shown == {"statement_timeout": "30s", "lock_timeout": "5s", "idle_in_transaction_session_timeout": "1min"}

    tight = platform.model_copy(update={"db_lock_timeout_ms": 300, "db_statement_timeout_ms": 500})
    engine = make_engine(platform.database_url(SERVICE), pool_size=1, settings=tight)
    url = platform.database_url(SERVICE).replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url) as holder:
            holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")  # held until the end of this block
            started = time.monotonic()
            with pytest.raises(OperationalError) as caught, engine.connect() as conn:
                conn.execute(select(outbox.c.id)).all()
            assert time.monotonic() - started < 3
            assert "lock timeout" in str(caught.value) and is_transient(caught.value)
        with pytest.raises(OperationalError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(3)"))
        assert "statement timeout" in str(caught.value) and is_transient(caught.value)
    finally:
        engine.dispose()


def add_row(engine, exchange: str, routing_key: str) -> uuid.UUID:
    event_id = uuid.uuid4()
    envelope = {"event_id": str(event_id), "event_type": f"{SERVICE}.{routing_key}", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "correlation_id": None, "payload": {}}
    with engine.begin() as conn:
        conn.execute(insert(outbox).values(event_id=event_id, event_type=envelope["event_type"], exchange=exchange,
                                           routing_key=routing_key, envelope=envelope))
    return event_id


def test_a_row_that_keeps_failing_does_not_block_its_batch(platform, database):
    with Connection(platform.amqp_uri) as conn:
        Queue(f"{SERVICE}-probe", exchange=events_exchange(SERVICE), routing_key="#", durable=False,
              auto_delete=False)(conn.channel()).declare()
    bad = add_row(database, "no-such.events", "thing_happened")  # its exchange does not exist
    good = [add_row(database, f"{SERVICE}.events", "thing_happened") for _ in range(2)]
    relay = OutboxRelay(database, platform.amqp_uri, SERVICE)
    try:
        assert relay.publish_pending() == 2
        assert relay.publish_pending() == 0  # the bad row fails again, alone
    finally:
        relay.close()

    with database.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(outbox.c.event_id, outbox.c.published_at,
                                                           outbox.c.attempts, outbox.c.last_error))}
    assert all(rows[event_id].published_at is not None for event_id in good)
    assert rows[bad].published_at is None and rows[bad].attempts == 2 and "no-such.events" in rows[bad].last_error
    with Connection(platform.amqp_uri) as conn:
        received = Queue(f"{SERVICE}-probe", channel=conn.channel(), no_declare=True)
        ids = []
        while (message := received.get(no_ack=True)) is not None:
            ids.append(uuid.UUID(message.payload["event_id"]))
        received.delete()
    assert sorted(ids) == sorted(good)


class FreezingProxy:
    """A TCP proxy to RabbitMQ whose `freeze()` stops every connection open
    at that moment from hearing the broker (a broker that stops confirming);
    connections made afterwards work."""

    def __init__(self, target_port: int = 5672):
        import socket
        import threading

        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.frozen: list = []
        self.pairs: list = []
        self._threading = threading
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            gate = self._threading.Event()  # set: frozen
            self.pairs.append((client, upstream, gate))
            for src, dst, frozen in ((client, upstream, None), (upstream, client, gate)):
                self._threading.Thread(target=self._pump, args=(src, dst, frozen), daemon=True).start()

    @staticmethod
    def _pump(src, dst, frozen):
        try:
            while data := src.recv(65536):
                if frozen is not None and frozen.is_set():
                    continue  # swallowed: the client never hears back
                dst.sendall(data)
        except OSError:
            pass

    def freeze(self):
        for _, _, gate in self.pairs:
            gate.set()

    def close(self):
        self.server.close()
        for client, upstream, _ in self.pairs:
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass


@pytest.mark.parametrize("late_rows", [1, 3], ids=["one row, its own confirm", "a batch, its confirms together"])
def test_the_relay_does_not_wait_for_ever_for_a_confirm(platform, database, monkeypatch, late_rows):
    import threading
    from urllib.parse import urlsplit

    import shared.messaging.outbox_relay as relay_module

    monkeypatch.setattr(relay_module, "CONFIRM_TIMEOUT_SECONDS", 1)
    with Connection(platform.amqp_uri) as conn:
        Queue(f"{SERVICE}-confirm", exchange=events_exchange(SERVICE), routing_key="#", durable=False,
              auto_delete=False)(conn.channel()).declare()
    proxy = FreezingProxy(urlsplit(platform.amqp_uri).port or 5672)
    parts = urlsplit(platform.amqp_uri)
    relay = OutboxRelay(database, f"amqp://{parts.username}:{parts.password}@127.0.0.1:{proxy.port}{parts.path}",
                        SERVICE)
    try:
        # As many rows as afterwards: the connection this takes (one row's, or a batch's) is the one frozen.
        for _ in range(late_rows):
            add_row(database, f"{SERVICE}.events", "thing_happened")
        assert relay.publish_pending() == late_rows  # connected through the proxy
        proxy.freeze()  # the broker takes the next publish and never confirms it on this connection
        late = [add_row(database, f"{SERVICE}.events", "thing_happened") for _ in range(late_rows)]
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(sent=relay.publish_pending()), daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(20)
        assert not worker.is_alive(), "the relay waits for ever for a confirm, its rows locked"
        assert time.monotonic() - started < 15
        # A new connection took over: the row is marked sent (published twice at most, which the inbox absorbs).
        assert outcome.get("sent") == late_rows
        with database.connect() as conn:
            marked = list(conn.execute(select(outbox.c.published_at).where(outbox.c.event_id.in_(late))).scalars())
        assert len(marked) == late_rows and all(marked)
    finally:
        proxy.close()  # first: a relay still waiting gets an error instead of hanging the teardown
        try:
            relay.close()
        except OSError:
            pass
        with Connection(platform.amqp_uri) as conn:
            Queue(f"{SERVICE}-confirm", channel=conn.channel(), no_declare=True).delete()
