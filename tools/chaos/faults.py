"""The faults an experiment injects, each undone by its `recover`.

Processes are reached through a small interface so that the same experiment
runs against `make up` (supervisord restarts what is killed) and against the
test stack (the test restarts it).
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Protocol, Union
from urllib.parse import quote

import httpx
import psycopg
from kombu import Connection, Exchange, Queue

from shared.messaging.amqp import DEAD_LETTER_QUEUE, confirming_connection, events_exchange
from shared.messaging.uris import vhost_of
from shared.settings import REPO_ROOT, Settings


class Processes(Protocol):
    def kill(self, name: str) -> None:
        """SIGKILL the process: no clean shutdown."""

    def wait_back(self, name: str, timeout: float = 60.0) -> None:
        """Return once the process runs again (restarting it if nobody else will)."""


class Supervised:
    """The processes of `make up`, through supervisorctl; supervisord restarts
    a killed program by itself."""

    def __init__(self, config: Path = REPO_ROOT / "infra/supervisor/supervisord.conf"):
        self.ctl = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(config)]

    def _ctl(self, *args: str) -> str:
        return subprocess.run([*self.ctl, *args], capture_output=True, text=True, timeout=30).stdout.strip()

    def kill(self, name: str) -> None:
        pid = self._ctl("pid", name)
        if not pid.isdigit() or pid == "0":
            raise RuntimeError(f"{name} is not running under supervisord (make up): {pid!r}")
        os.kill(int(pid), signal.SIGKILL)

    def wait_back(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while "RUNNING" not in self._ctl("status", name):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not come back: {self._ctl('status', name)}")
            time.sleep(0.5)

    def stop(self, name: str) -> None:
        self._ctl("stop", name)

    def start(self, name: str) -> None:
        self._ctl("start", name)


# A server-side action: a command line, or a function (a private server's own stop).
Action = Union[str, Callable[[], object]]


def run(action: Action) -> None:
    """A server-side action (stopping PostgreSQL, a broker alarm); its failure stops the experiment."""
    if callable(action):
        action()
        return
    subprocess.run(shlex.split(action), check=True, capture_output=True, timeout=120)


def dead_letter_count(settings: Settings) -> int:
    """Messages parked in the dead letters now (a passive declare reads the
    count without touching the messages)."""
    with Connection(settings.amqp_uri) as conn:
        return Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True).queue_declare(passive=True).message_count


def bound_queues(settings: Settings, producer: str, event: str) -> int:
    """How many queues receive `producer`'s `event` (its own consumers and any
    catch-all binding, such as analytics' `#`): a poison message is parked
    once in each. AMQP cannot list bindings: the management API can."""
    management = httpx.URL(settings.rabbitmq_management_url)
    vhost = quote(vhost_of(settings.amqp_uri), safe="")
    exchange = quote(events_exchange(producer).name, safe="")
    answer = httpx.get(f"{management.scheme}://{management.host}:{management.port}"
                       f"/api/exchanges/{vhost}/{exchange}/bindings/source",
                       auth=(management.username or "guest", management.password or "guest"), timeout=10)
    answer.raise_for_status()
    return len({b["destination"] for b in answer.json()
                if b["destination_type"] == "queue" and topic_matches(b["routing_key"], event)})


def topic_matches(pattern: str, routing_key: str) -> bool:
    """RabbitMQ's topic matching: `*` one word, `#` zero or more words."""
    def match(words: list[str], keys: list[str]) -> bool:
        if not words:
            return not keys
        if words[0] == "#":
            return any(match(words[1:], keys[i:]) for i in range(len(keys) + 1))
        return bool(keys) and words[0] in ("*", keys[0]) and match(words[1:], keys[1:])

    return match(pattern.split("."), routing_key.split("."))


def publish_poison(settings: Settings, producer: str = "posts", event: str = "post_created") -> str:
    """A message no consumer can read, where `producer`'s `event` goes: it
    must be parked with its error while the events after it flow."""
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    with confirming_connection(settings.amqp_uri) as conn:
        conn.Producer().publish(
            b"\x00 not json " + marker.encode(), exchange=events_exchange(producer), routing_key=event,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2, message_id=marker,
            declare=[events_exchange(producer)],
        )
    return marker


def remove_parked(settings: Settings, marker: str) -> int:
    """Drop the parked copies of one message (the experiment's own poison,
    whose body carries `marker`), leaving every other parked message where it was."""
    removed = 0
    with Connection(settings.amqp_uri) as conn:
        queue, held = Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True), []
        while (message := queue.get(no_ack=False)) is not None:
            body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
            if marker.encode() in body:
                message.ack()
                removed += 1
            else:
                held.append(message)
        for message in held:
            message.requeue()
    return removed


def republish_recent(settings: Settings, service: str = "posts", limit: int = 20) -> int:
    """Deliver again the last `limit` events `service` published: every
    consumer must notice it has handled them and do nothing twice."""
    url = f"{settings.postgres_url.rstrip('/')}/{settings.database_name(service)}"
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT exchange, routing_key, envelope FROM outbox WHERE published_at IS NOT NULL "
            "ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
    with confirming_connection(settings.amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for exchange, routing_key, envelope in rows:
            envelope = envelope if isinstance(envelope, dict) else json.loads(envelope)
            producer.publish(envelope, exchange=Exchange(exchange, type="topic", durable=True), routing_key=routing_key,
                             declare=[], delivery_mode=2, message_id=envelope["event_id"],
                             headers={"nameko.correlation_id": envelope["event_id"],
                                      "event_type": envelope["event_type"], "event_version": envelope["version"]})
    return len(rows)


# A newer producer deployed before its consumers (issue 15): an optional
# field more in the envelope and in the payload of every event it writes.
NEWER_FIELD = "chaos_newer_field"
_NEWER_TRIGGER = "chaos_newer_producer"


def newer_producer(settings: Settings, services: tuple[str, ...]) -> Callable[[], int]:
    """Make `services` write their events as a newer version of them would,
    until the returned function is called: a trigger on each one's outbox adds
    NEWER_FIELD to the envelope and to the payload of every row written
    meanwhile, so the relay publishes them as such. The function removes the
    triggers and returns how many events carried the field."""
    def database(service: str) -> str:
        return f"{settings.postgres_url.rstrip('/')}/{settings.database_name(service)}"

    for service in services:
        with psycopg.connect(database(service), autocommit=True) as db:
            db.execute(f"""
                CREATE OR REPLACE FUNCTION {_NEWER_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.envelope := jsonb_set(
                        NEW.envelope || jsonb_build_object('{NEWER_FIELD}', 'ajouté par une version plus récente'),
                        '{{payload,{NEWER_FIELD}}}', '{{"niveau": [1, 2], "libre": true}}'::jsonb, true);
                    RETURN NEW;
                END $$""")
            db.execute(f"DROP TRIGGER IF EXISTS {_NEWER_TRIGGER} ON outbox")
            db.execute(f"CREATE TRIGGER {_NEWER_TRIGGER} BEFORE INSERT ON outbox "
                       f"FOR EACH ROW EXECUTE FUNCTION {_NEWER_TRIGGER}()")

    def undo() -> int:
        carried = 0
        for service in services:
            with psycopg.connect(database(service), autocommit=True) as db:
                db.execute(f"DROP TRIGGER IF EXISTS {_NEWER_TRIGGER} ON outbox")
                db.execute(f"DROP FUNCTION IF EXISTS {_NEWER_TRIGGER}()")
                carried += db.execute("SELECT count(*) FROM outbox WHERE envelope ? %s "
                                      "AND envelope->'payload' ? %s", (NEWER_FIELD, NEWER_FIELD)).fetchone()[0]
        return carried

    return undo
