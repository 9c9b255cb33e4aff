"""The live stream: SSE frames, Last-Event-ID resumption, keep-alives, and
fan-out to the connected member's streams (no broker: notifications are
dispatched as the replica's consumer would)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timezone

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.notification_stream import NotificationStream
from gateway.routes.notifications import KEEP_ALIVE, sse_frames
from stack.testing import free_port
from shared.contracts.notifications import NotificationCreated


def created(notification_id: str, user_id: str = "user-1") -> NotificationCreated:
    return NotificationCreated(notification_id=notification_id, user_id=user_id, type="reaction",
                               title="Nouvelle réaction à votre publication", body="Léa vous remercie.",
                               link="/v1/posts/p1", created_at=datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc))


def item(notification_id: str) -> dict:
    return {"id": notification_id, "type": "reaction", "title": "t", "body": "b", "link": None,
            "created_at": "2026-03-04T09:30:00+00:00", "read": False}


async def collect(frames, count: int) -> list[str]:
    out = []
    async for frame in frames:
        out.append(frame)
        if len(out) == count:
            break
    return out


def test_missed_ones_come_first_then_live_ones_without_duplicates():
    async def scenario():
        stream = NotificationStream()
        subscription = stream.subscribe("user-1")
        stream.dispatch(created("n2"))  # made while catching up: also in `missed`
        stream.dispatch(created("n3"))
        stream.dispatch(created("n9", user_id="someone-else"))
        frames = sse_frames(subscription, [item("n1"), item("n2")], keepalive_seconds=5, retry_milliseconds=3000,
                            disconnected=asyncio.Event().wait())
        return await collect(frames, 4)

    retry, first, second, third = asyncio.run(scenario())
    assert retry == "retry: 3000\n\n"
    assert [f.split("\n")[0] for f in (first, second, third)] == ["id: n1", "id: n2", "id: n3"]
    assert third.startswith("id: n3\nevent: notification\ndata: ") and third.endswith("\n\n")
    data = json.loads(third.split("data: ", 1)[1])
    assert data == {"id": "n3", "type": "reaction", "title": "Nouvelle réaction à votre publication",
                    "body": "Léa vous remercie.", "link": "/v1/posts/p1", "created_at": "2026-03-04T09:30:00+00:00",
                    "read": False}


def test_a_quiet_stream_sends_keep_alive_comments_and_ends_when_the_client_leaves():
    async def scenario():
        stream = NotificationStream()
        subscription = stream.subscribe("user-1")
        left = asyncio.Event()
        frames = sse_frames(subscription, [], keepalive_seconds=0.05, retry_milliseconds=0, disconnected=left.wait())
        out = await collect(frames, 3)
        left.set()
        rest = [frame async for frame in frames]
        return out, rest

    out, rest = asyncio.run(scenario())
    assert out[1:] == [KEEP_ALIVE, KEEP_ALIVE] and rest == []


def test_a_stream_too_far_behind_ends_so_the_client_resumes():
    async def scenario():
        stream = NotificationStream(queue_size=2)
        subscription = stream.subscribe("user-1")
        for n in range(3):
            stream.dispatch(created(f"n{n}"))
        frames = sse_frames(subscription, [], keepalive_seconds=5, retry_milliseconds=0,
                            disconnected=asyncio.Event().wait())
        return [frame async for frame in frames]

    assert asyncio.run(scenario()) == ["retry: 0\n\n"]


class Server:
    """The gateway app served by uvicorn in a thread, with its own event loop."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    lifespan="on"))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)

    def dispatch(self, event: NotificationCreated) -> None:
        """As the replica's broker consumer does, on the server's event loop."""
        self.loop.call_soon_threadsafe(self.app.state.notification_stream.dispatch, event)

    def streams_of(self, user_id: str) -> int:
        return self.app.state.notification_stream.streams_of(user_id)


class SseReader:
    """Reads an SSE response block by block (a frame or a comment line)."""

    def __init__(self, response):
        self.chunks = response.iter_text()
        self.buffer = ""

    def block(self) -> str:
        while "\n\n" not in self.buffer:
            self.buffer += next(self.chunks)
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    def blocks(self, count: int) -> list[str]:
        return [self.block() for _ in range(count)]

    def frame(self) -> str:
        """The next notification, past keep-alive comments."""
        while (block := self.block()).startswith(":"):
            pass
        return block


@pytest.fixture
def served(settings, fake_rpc):
    settings = settings.model_copy(update={"sse_keepalive_seconds": 0.2, "sse_max_streams_per_user": 1})
    with Server(create_app(settings, rpc_client=fake_rpc)) as server:
        yield server


def test_the_route_resumes_from_last_event_id_then_pushes_live_ones(served, fake_rpc, auth):
    fake_rpc.replies[("notifications", "list_since")] = [item("n2")]
    headers = {**auth(sub="user-1"), "Last-Event-ID": "n1"}
    with httpx.Client(base_url=f"http://127.0.0.1:{served.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = SseReader(response)
            retry, missed = reader.blocks(2)
            assert missed.startswith("id: n2\n")
            call = fake_rpc.last()
            assert (call.method, call.args, call.context["caller_id"]) == ("list_since", ("n1",), "user-1")

            served.dispatch(created("n3", user_id="someone-else"))
            served.dispatch(created("n4"))
            assert reader.frame().startswith("id: n4\nevent: notification\n")  # never someone else's n3

            # One stream per member here (SSE_MAX_STREAMS_PER_USER=1): a second is refused.
            second = http.get("/v1/notifications/stream", headers=auth(sub="user-1"))
            assert second.status_code == 429 and second.headers["retry-after"]
    deadline = time.monotonic() + 5
    while served.streams_of("user-1"):  # the stream is dropped when the client leaves
        assert time.monotonic() < deadline, "the subscription outlived its client"
        time.sleep(0.05)


def test_a_quiet_route_sends_keep_alives(served, auth):
    with httpx.Client(base_url=f"http://127.0.0.1:{served.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=auth(sub="user-2")) as response:
            assert SseReader(response).blocks(3)[1:] == [": keep-alive", ": keep-alive"]


def test_the_stream_needs_a_token(served):
    response = httpx.get(f"http://127.0.0.1:{served.port}/v1/notifications/stream", timeout=5)
    assert response.status_code == 401


# ---------------------------------------------------------------- the stream ends with the login


def revoked(user_id: str | None = None, session_id: str | None = None) -> dict:
    """identity.access_revoked as the replica's follower receives it."""
    return {"event_type": "identity.access_revoked",
            "payload": {"user_id": user_id, "session_id": session_id,
                        "until": "2999-01-01T00:00:00+00:00" if session_id else None}}


def test_a_stream_ends_when_its_access_token_expires(served, auth):
    # Expired for 5 s already: still accepted within the 10 s leeway, so
    # the stream opens, then ends at once (its expiry is past).
    headers = auth(sub="user-3", exp=int(time.time()) - 5)
    with httpx.Client(base_url=f"http://127.0.0.1:{served.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=headers) as response:
            assert response.status_code == 200, response.read()
            reader = SseReader(response)
            assert reader.block().startswith("retry:")
            with pytest.raises(StopIteration):
                reader.block()


def test_a_stream_ends_at_its_token_expiry_not_before(served, auth):
    headers = auth(sub="user-4", exp=int(time.time()) + 2)
    with httpx.Client(base_url=f"http://127.0.0.1:{served.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=headers) as response:
            reader = SseReader(response)
            assert reader.block().startswith("retry:")
            started = time.monotonic()
            with pytest.raises(StopIteration):
                while time.monotonic() - started < 6:
                    reader.block()  # keep-alives, then the end
            assert 0.5 < time.monotonic() - started < 6


def test_a_logout_ends_the_streams_of_that_login_only(settings, fake_rpc, auth):
    settings = settings.model_copy(update={"sse_keepalive_seconds": 30})
    app = create_app(settings, rpc_client=fake_rpc)
    with Server(app) as server, httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=auth(sub="user-5", sid="login-a")) as other, \
             http.stream("GET", "/v1/notifications/stream", headers=auth(sub="user-5", sid="login-b")) as ended:
            assert other.status_code == ended.status_code == 200
            going_on, ending = SseReader(other), SseReader(ended)
            going_on.block(), ending.block()
            server.loop.call_soon_threadsafe(app.state.access_blocklist.apply, revoked(session_id="login-b"))
            # Promptly: long before the 30 s keep-alive would have looked again.
            started = time.monotonic()
            with pytest.raises(StopIteration):
                ending.block()
            assert time.monotonic() - started < 5
            assert server.streams_of("user-5") == 1  # login-a's stream goes on
            server.dispatch(created("n5", user_id="user-5"))
            assert going_on.frame().startswith("id: n5\n")


def test_a_suspension_ends_every_stream_of_the_member(settings, fake_rpc, auth):
    settings = settings.model_copy(update={"sse_keepalive_seconds": 30})
    app = create_app(settings, rpc_client=fake_rpc)
    with Server(app) as server, httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as http:
        with http.stream("GET", "/v1/notifications/stream", headers=auth(sub="user-6", sid="login-c")) as response:
            reader = SseReader(response)
            reader.block()
            server.loop.call_soon_threadsafe(app.state.access_blocklist.apply, revoked(user_id="user-6"))
            started = time.monotonic()
            with pytest.raises(StopIteration):
                reader.block()
            assert time.monotonic() - started < 5
        # And the member cannot open another one.
        assert http.get("/v1/notifications/stream", headers=auth(sub="user-6", sid="login-d")).status_code == 401


def test_a_notification_delivered_twice_is_dispatched_once():
    stream = NotificationStream()
    subscription = stream.subscribe("user-1")
    assert stream.dispatch(created("n1")) == 1
    assert stream.dispatch(created("n1")) == 0  # the broker's redelivery, or the relay's second publish
    assert subscription.queue.qsize() == 1


def test_a_stream_never_sends_the_same_notification_twice():
    async def scenario():
        stream = NotificationStream()
        subscription = stream.subscribe("user-1")
        for notification_id in ("n1", "n1", "n2"):  # e.g. offered by two paths
            subscription.offer(item(notification_id))
        frames = sse_frames(subscription, [], keepalive_seconds=0.2, retry_milliseconds=3000,
                            disconnected=asyncio.Event().wait())
        return await collect(frames, 4)

    frames = asyncio.run(scenario())
    assert [f.split("\n")[0] for f in frames[1:]] == ["id: n1", "id: n2", ": keep-alive"]


def test_recent_ids_are_bounded():
    from gateway.notification_stream import RecentIds

    recent = RecentIds(size=2)
    assert recent.add("a") and recent.add("b") and not recent.add("a")
    assert recent.add("c")  # forgets b, the oldest
    assert "b" not in recent and "a" in recent
