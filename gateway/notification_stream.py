"""Live notifications for the SSE route: each gateway replica consumes
`notifications.notification_created` from its OWN exclusive, auto-delete
queue bound to the `notifications.events` exchange, and fans each
notification out to the streams of the member it is for that are connected
to this replica. With several replicas every one gets every notification, so
a member receives it whichever replica they are connected to.

The queue lives as long as the replica's connection: what is published while
a replica is away is not kept for it. Clients resume with `Last-Event-ID`
and the route fetches what they missed from the notifications service.

Events are delivered at least once (the outbox relay may publish one twice):
the replica remembers the ids of the last notifications it dispatched
(`RecentIds`) and a stream the ids it sent, so a notification is pushed once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from pydantic import ValidationError

from shared import backoff
from shared.contracts import Envelope
from shared.contracts.notifications import NotificationCreated
from gateway import broker

log = logging.getLogger(__name__)

EXCHANGE = "notifications.events"
ROUTING_KEY = NotificationCreated.routing_key()
CONNECTION_NAME = "gateway-notification-stream"  # as the broker (management API) lists it


def notification_item(event: NotificationCreated) -> dict[str, Any]:
    """The notification as GET /v1/notifications shows it."""
    return {
        "id": event.notification_id,
        "type": event.type,
        "title": event.title,
        "body": event.body,
        "link": event.link,
        "created_at": event.created_at.isoformat(),
        "read": False,
    }


class RecentIds:
    """The last `size` ids seen, oldest forgotten first: enough to catch a
    redelivery, which comes within seconds, in bounded memory."""

    def __init__(self, size: int = 10_000):
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, item_id: str) -> bool:
        """Remember `item_id`; False when it was already there."""
        if item_id in self._ids:
            self._ids.move_to_end(item_id)
            return False
        self._ids[item_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._ids


@dataclass(eq=False)
class Subscription:
    """One open stream of one member. A stream that falls `queue_size`
    notifications behind is marked `overflowed` and closed by the route; the
    client reconnects with Last-Event-ID and catches up."""

    user_id: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=100))
    overflowed: bool = False
    session_id: str | None = None  # the login (token `sid`) the stream was opened with
    # Set when that login or the member's access is revoked: the stream ends.
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, item: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True


class NotificationStream:
    def __init__(self, amqp_uri: str | None = None, *, reconnect_interval: float = 1.0, queue_size: int = 100):
        self._uri = amqp_uri
        self._reconnect_interval = reconnect_interval
        self._queue_size = queue_size
        self._queue_name = f"gateway.notifications-{uuid.uuid4()}"
        self._subscribers: dict[str, set[Subscription]] = {}
        self._dispatched = RecentIds()
        self._connection: AbstractRobustConnection | None = None
        self._ready = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None

    @property
    def queue_name(self) -> str:
        return self._queue_name

    @property
    def is_connected(self) -> bool:
        return self._ready.is_set() and self._connection is not None and not self._connection.is_closed

    # ------------------------------------------------------------ subscribers (this replica's streams)

    def subscribe(self, user_id: str, session_id: str | None = None) -> Subscription:
        subscription = Subscription(user_id, asyncio.Queue(maxsize=self._queue_size), session_id=session_id)
        self._subscribers.setdefault(user_id, set()).add(subscription)
        return subscription

    def end_access(self, user_id: str | None, session_id: str | None) -> int:
        """End the streams of a member (suspended, erased) or of one login
        (logout, replayed refresh token); how many were ended."""
        ended = 0
        if user_id:
            streams = list(self._subscribers.get(user_id, ()))
        elif session_id:
            # A logout names the login only; revocations are rare, a scan is enough.
            streams = [s for subs in self._subscribers.values() for s in subs if s.session_id == session_id]
        else:
            streams = []
        for subscription in streams:
            subscription.ended.set()
            ended += 1
        return ended

    def end_all(self) -> int:
        """End every open stream here; how many were ended."""
        streams = [s for subs in self._subscribers.values() for s in subs]
        for subscription in streams:
            subscription.ended.set()
        return len(streams)

    def _on_reconnect(self, *_) -> None:
        # The exclusive queue went with the old connection, and with it what
        # was published meanwhile: a stream kept open would silently miss it.
        # Ended, its client reconnects with Last-Event-ID and catches up.
        ended = self.end_all()
        log.warning("notification stream: broker connection back, live streams ended", extra={"streams": ended})

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._subscribers.get(subscription.user_id)
        if streams is not None:
            streams.discard(subscription)
            if not streams:
                del self._subscribers[subscription.user_id]

    def streams_of(self, user_id: str) -> int:
        return len(self._subscribers.get(user_id, ()))

    def dispatch(self, event: NotificationCreated) -> int:
        """Hand a notification to its member's streams here; how many got it
        (none for one dispatched before: a redelivery)."""
        if not self._dispatched.add(event.notification_id):
            log.debug("notification stream: duplicate skipped", extra={"notification_id": event.notification_id})
            return 0
        streams = self._subscribers.get(event.user_id, ())
        item = notification_item(event)
        for subscription in streams:
            subscription.offer(item)
        return len(streams)

    # ------------------------------------------------------------ the broker

    async def start(self, wait: float | None = None) -> bool:
        """Connect in the background, retrying until the broker answers;
        wait at most `wait` seconds and say whether it is connected."""
        if self._uri is None:
            raise RuntimeError("no AMQP URI to consume notifications from")
        if self._connect_task is None:
            self._connect_task = asyncio.create_task(self._connect_forever())
        try:
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), wait)
        except TimeoutError:
            return False
        return True

    async def _connect_forever(self) -> None:
        interval = self._reconnect_interval
        await backoff.until_done(
            self._connect, log, "notification stream: broker connection failed, retrying",
            first=interval, most=interval, errors=CONNECTION_EXCEPTIONS, after_failure=self._discard_connection,
        )

    async def _connect(self) -> None:
        self._connection = await broker.connect(
            self._uri,
            reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": CONNECTION_NAME},
        )
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        channel = await self._connection.channel()
        # notifications' exchange: checked, not declared (the gateway's broker user may not).
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True, passive=True)
        # Exclusive and auto-delete: this replica's own queue, gone with it.
        queue = await channel.declare_queue(self._queue_name, exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=ROUTING_KEY)
        await queue.consume(self._on_message, no_ack=True)
        self._ready.set()
        log.info("notification stream connected", extra={"queue": self._queue_name})

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.read(json.loads(message.body))
            event = NotificationCreated.read(envelope.payload)
        except (ValueError, ValidationError) as exc:
            log.warning("notification stream: unreadable message dropped: %s", exc)
            return
        self.dispatch(event)

    async def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing to clean up
                pass

    async def close(self) -> None:
        if self._connect_task is not None:
            self._connect_task.cancel()
            await asyncio.gather(self._connect_task, return_exceptions=True)
            self._connect_task = None
        self._ready.clear()
        await self._discard_connection()
