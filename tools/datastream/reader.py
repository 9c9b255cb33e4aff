"""Reading the stream queue over AMQP 0.9.1.

A RabbitMQ stream is consumed with a prefetch (basic.qos), manual acks (they
only grant credit: nothing is removed) and the `x-stream-offset` consumer
argument: `first`, `last`, `next`, an offset (int) or a point in time
(a timestamp: the broker starts at the chunk holding it, to the second, so a
few messages just before it may come too). Every delivery carries its
offset in the `x-stream-offset` header.
"""
from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kombu import Connection, Consumer, Queue

DEFAULT_QUEUE = "analytics.stream.v2"
CONNECT_TIMEOUT_SECONDS = 30
Start = str | int | datetime


@dataclass(frozen=True)
class StreamMessage:
    offset: int
    body: dict[str, Any]


def read(
    amqp_uri: str,
    start: Start = "first",
    queue: str = DEFAULT_QUEUE,
    idle_seconds: float | None = 3.0,
    prefetch: int = 500,
    on_ready: Callable[[], None] | None = None,
) -> Iterator[StreamMessage]:
    """Messages from `start` on, in stream order. Stops once nothing came for
    `idle_seconds` (the end of the stream, for now); None: follows forever.
    `on_ready()` is called once the broker has accepted the consumer."""
    if isinstance(start, datetime) and start.tzinfo is None:
        raise ValueError("a point in time must carry its time zone")
    arrived: deque = deque()
    with Connection(amqp_uri, heartbeat=0, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=5, interval_start=1, interval_step=2, interval_max=5)
        channel = conn.channel()
        source = Queue(queue, no_declare=True, consumer_arguments={"x-stream-offset": start})
        consumer = Consumer(
            channel, queues=[source], accept=["json", "application/json"], prefetch_count=prefetch,
            callbacks=[lambda body, message: arrived.append((body, message))],
        )
        with consumer:
            if on_ready:
                on_ready()
            last_arrival = time.monotonic()
            while True:
                while arrived:
                    body, message = arrived.popleft()
                    offset = int((message.headers or {})["x-stream-offset"])
                    yield StreamMessage(offset, body if isinstance(body, dict) else message.decode())
                    message.ack()
                    last_arrival = time.monotonic()
                try:
                    conn.drain_events(timeout=0.25)
                except socket.timeout:
                    if idle_seconds is not None and time.monotonic() - last_arrival >= idle_seconds:
                        return


def count(amqp_uri: str, queue: str = DEFAULT_QUEUE) -> int:
    """How many messages the stream holds now (for progress bars)."""
    with Connection(amqp_uri, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count
