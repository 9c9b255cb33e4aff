"""Access revoked before tokens expire: suspended or erased members, and
logins ended by logout or by a replayed refresh token.

Each gateway replica keeps the list in memory, loads it from identity once
when it starts (`identity.access_blocks`), then follows identity's
`access_revoked` / `access_restored` events on its own exclusive queue: no
RPC per request, and every replica sees every change. That queue goes with
the connection: what identity publishes while the broker connection is
down is lost, so on every reconnect the snapshot is loaded again (issue 15).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import aio_pika

from shared import backoff
from gateway import broker

log = logging.getLogger(__name__)


def _parse_until(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class AccessBlocklist:
    def __init__(self) -> None:
        self._users: dict[str, datetime | None] = {}  # None: for good (until restored)
        self._sessions: dict[str, datetime] = {}
        # Told of each revocation as it arrives: open live streams end with
        # their login instead of at their next check.
        self._listeners: list[Callable[[str | None, str | None], None]] = []
        # While a snapshot is being reloaded: the events followed meanwhile,
        # replayed over it (the snapshot may predate some of them).
        self._since_reload: list[dict] | None = None

    def on_revoked(self, listener: Callable[[str | None, str | None], None]) -> None:
        """Call `listener(user_id, session_id)` on each revocation followed."""
        self._listeners.append(listener)

    def block_user(self, user_id: str, until: datetime | None) -> None:
        self._users[user_id] = until

    def unblock_user(self, user_id: str) -> None:
        self._users.pop(user_id, None)

    def block_session(self, session_id: str, until: datetime) -> None:
        self._sessions[session_id] = until

    def is_blocked(self, user_id: str, session_id: str | None, now: datetime | None = None) -> bool:
        now = now or datetime.now(timezone.utc)
        if user_id in self._users:
            until = self._users[user_id]
            if until is None or until > now:
                return True
            del self._users[user_id]
        if session_id and session_id in self._sessions:
            if self._sessions[session_id] > now:
                return True
            del self._sessions[session_id]
        return False

    def load(self, snapshot: dict) -> None:
        for entry in snapshot.get("users", []):
            self.block_user(entry["user_id"], _parse_until(entry.get("until")))
        for entry in snapshot.get("sessions", []):
            self.block_session(entry["session_id"], _parse_until(entry["until"]))

    def begin_reload(self) -> None:
        """Call once subscribed again, before asking for the snapshot."""
        self._since_reload = []

    def replace(self, snapshot: dict) -> None:
        """The state becomes the snapshot, then the events followed since
        `begin_reload` in their order: a restoration missed while
        disconnected unblocks, a revocation missed blocks, and an event newer
        than the snapshot is not undone by it."""
        followed, self._since_reload = self._since_reload or [], None
        self._users.clear()
        self._sessions.clear()
        self.load(snapshot)
        for envelope in followed:
            self._apply(envelope)

    def apply(self, envelope: dict) -> None:
        """Follow one identity event (its envelope, as published by the outbox)."""
        if self._since_reload is not None:
            self._since_reload.append(envelope)
        payload = self._apply(envelope)
        if envelope.get("event_type") == "identity.access_revoked":
            for listener in self._listeners:
                listener(payload.get("user_id"), payload.get("session_id"))

    def _apply(self, envelope: dict) -> dict:
        payload = envelope.get("payload", {})
        if envelope.get("event_type") == "identity.access_revoked":
            until = _parse_until(payload.get("until"))
            if payload.get("user_id"):
                self.block_user(payload["user_id"], until)
            if payload.get("session_id") and until is not None:
                self.block_session(payload["session_id"], until)
        elif envelope.get("event_type") == "identity.access_restored":
            self.unblock_user(payload["user_id"])
        return payload


class AccessEventsFollower:
    """Subscribes first, then loads the snapshot, so nothing falls in between;
    and again after every reconnect of its broker connection."""

    ROUTING_KEYS = ("access_revoked", "access_restored")
    CONNECTION_NAME = "gateway-access-events"

    def __init__(self, amqp_uri: str, blocklist: AccessBlocklist, load_snapshot) -> None:
        self._amqp_uri = amqp_uri
        self._blocklist = blocklist
        self._load_snapshot = load_snapshot  # async () -> dict
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._task: asyncio.Task | None = None
        self._reload_task: asyncio.Task | None = None
        self.ready = asyncio.Event()
        self.reloads = 0  # snapshots loaded again after a reconnect

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        # The broker or identity may not be there yet: keep trying.
        await backoff.until_done(self._load, log, "access revocations not loaded yet, retrying", first=0.5, most=10)
        self.ready.set()
        log.info("following access revocations")

    async def _load(self) -> None:
        await self._subscribe()
        self._blocklist.load(await self._load_snapshot())

    def _on_reconnect(self, *_) -> None:
        # aio-pika has declared the queue again and resumed consuming: what
        # was published meanwhile is in the snapshot.
        log.warning("access revocations: broker connection back, loading the snapshot again")
        if self._reload_task is not None:
            self._reload_task.cancel()
        self._blocklist.begin_reload()
        self._reload_task = asyncio.create_task(self._reload())

    async def _reload(self) -> None:
        await backoff.until_done(
            self._replace, log, "access revocations not reloaded yet, retrying", first=0.5, most=10
        )
        self.reloads += 1
        log.info("access revocations reloaded after a reconnect")

    async def _replace(self) -> None:
        self._blocklist.replace(await self._load_snapshot())

    async def _subscribe(self) -> None:
        if self._connection is None:
            self._connection = await broker.connect(
                self._amqp_uri, client_properties={"connection_name": self.CONNECTION_NAME}
            )
            self._connection.reconnect_callbacks.add(self._on_reconnect)
            channel = await self._connection.channel()
            # identity's exchange: checked, not declared (the gateway's broker user may not).
            exchange = await channel.declare_exchange(
                "identity.events", aio_pika.ExchangeType.TOPIC, durable=True, passive=True
            )
            queue = await channel.declare_queue(
                f"gateway.access-{uuid.uuid4().hex[:12]}", exclusive=True, auto_delete=True
            )
            for key in self.ROUTING_KEYS:
                await queue.bind(exchange, routing_key=key)
            await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            self._blocklist.apply(json.loads(message.body))
        except Exception:
            log.exception("unreadable access event ignored")

    async def close(self) -> None:
        if self._reload_task is not None:
            self._reload_task.cancel()
        if self._task is not None:
            self._task.cancel()
        if self._connection is not None:
            await self._connection.close()
