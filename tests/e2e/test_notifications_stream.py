"""Notifications over HTTP through two gateway replicas and a real broker:
the inbox, preferences, and the live stream reaching a member whichever
replica they are connected to, resumed with Last-Event-ID."""
import queue
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

import httpx
import pytest

from services.notifications.smtp_sink import SmtpSink
from shared.contracts import Envelope
from shared.contracts.events import ReminderDue
from shared.messaging.topology import management_api
from shared.settings import REPO_ROOT
from stack.testing import die_with_parent, free_port, service_env, wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("e2e-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def backends(start_service, smtp):
    return [start_service("identity"),
            start_service("notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, EMAIL_POLL_SECONDS=0.2)]


def stream_bindings(platform) -> int:
    """Queues bound to notifications.events for notification_created: one per gateway replica."""
    vhost = quote(urlsplit(platform.amqp_uri).path[1:], safe="")
    with management_api(platform.rabbitmq_management_url, timeout=5) as api:
        response = api.get(f"/api/exchanges/{vhost}/notifications.events/bindings/source")
    if response.status_code == 404:
        return 0
    return sum(1 for b in response.json() if b["routing_key"] == "notification_created")


@pytest.fixture(scope="module")
def gateways(platform, backends, tmp_path_factory):
    """Two gateway replicas (uvicorn processes) on one broker."""
    log_dir = tmp_path_factory.mktemp("gateways")
    procs, bases = [], []
    for n in range(2):
        port = free_port()
        env = service_env(platform, "gateway")
        env.update(GATEWAY_SERVICES="identity,notifications", SSE_KEEPALIVE_SECONDS="0.5")
        with open(log_dir / f"gateway-{n}.log", "ab") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
                                          cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          preexec_fn=die_with_parent))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, proc in zip(bases, procs):
            def ready(base=base, proc=proc):
                assert proc.poll() is None, (log_dir / "gateway-0.log").read_text()[-3000:]
                try:
                    return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False
            wait_for(ready, timeout=30, message="a gateway to be ready")
        wait_for(lambda: stream_bindings(platform) >= 2, timeout=15, message="both replicas' stream queues")
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(15)


def login(base: str, member: dict) -> dict:
    response = httpx.post(f"{base}/v1/auth/token", json={"email": member["email"], "password": member["password"]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class Listener:
    """A member's open stream on one replica, read in a thread; frames land in `frames`."""

    def __init__(self, base: str, headers: dict, last_event_id: str | None = None):
        self.frames: queue.Queue = queue.Queue()
        self.status: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        headers = {**headers, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
        self.thread = threading.Thread(target=self._run, args=(base, headers), daemon=True)
        self.thread.start()
        assert self.status.get(timeout=10) == 200

    def _run(self, base, headers):
        with httpx.Client(base_url=base, timeout=httpx.Timeout(5, read=10)) as http:
            with http.stream("GET", "/v1/notifications/stream", headers=headers) as response:
                self.status.put(response.status_code)
                buffer = ""
                for chunk in response.iter_text():
                    buffer += chunk
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        if block.startswith("id: "):
                            self.frames.put(block)
                    if self.stop.is_set():
                        return

    def next_id(self, timeout: float = 10) -> str:
        return self.frames.get(timeout=timeout).split("\n", 1)[0].removeprefix("id: ")

    def close(self):
        self.stop.set()
        self.thread.join(5)


def remind(platform, member: dict, title: str) -> None:
    event = ReminderDue(calendar_event_id=str(uuid.uuid4()), registration_id=str(uuid.uuid4()), user_id=member["id"],
                        title=title, starts_at=datetime.now(timezone.utc) + timedelta(days=1),
                        location="Agence de Lille", online_url=None)
    publish_raw(platform.amqp_uri, Envelope.wrap(event).model_dump(mode="json"), event.routing_key(),
                producer=event.producer())


def inbox(base: str, headers: dict, **params) -> dict:
    response = httpx.get(f"{base}/v1/notifications", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_notification_reaches_the_member_on_either_replica_and_resumes(platform, gateways, make_member):
    first, second = gateways
    lea, sam = make_member(display_name="Léa"), make_member(display_name="Sam")
    lea_auth, sam_auth = login(first, lea), login(second, sam)
    wait_for(lambda: httpx.get(f"{first}/v1/notifications/preferences", headers=lea_auth).status_code == 200)

    on_first, on_second, sam_on_second = Listener(first, lea_auth), Listener(second, lea_auth), Listener(second, sam_auth)
    try:
        remind(platform, lea, "Forum de l'emploi")
        made = on_first.next_id()
        assert on_second.next_id() == made  # the other replica pushed it too
        remind(platform, sam, "Atelier CV")
        sam_first = sam_on_second.next_id()
        assert sam_first != made and on_first.frames.empty() and on_second.frames.empty()
    finally:
        for listener in (on_first, on_second, sam_on_second):
            listener.close()

    # Léa is away; two more are made; she comes back on the other replica.
    remind(platform, lea, "Job dating")
    remind(platform, lea, "Webinaire reconversion")
    wait_for(lambda: inbox(first, lea_auth)["unread_count"] == 3, message="the two made while away")
    back = Listener(second, lea_auth, last_event_id=made)
    try:
        missed = [back.next_id(), back.next_id()]
    finally:
        back.close()
    listed = [i["id"] for i in inbox(first, lea_auth)["items"]]
    assert missed == list(reversed(listed[:2])) and listed[2] == made


def test_the_inbox_and_preferences_over_http(platform, gateways, make_member):
    first, second = gateways
    lea, sam = make_member(display_name="Léa"), make_member(display_name="Sam")
    lea_auth, sam_auth = login(first, lea), login(first, sam)
    wait_for(lambda: httpx.get(f"{first}/v1/notifications/preferences", headers=lea_auth).status_code == 200)
    # The service handles deliveries concurrently, so reminders sent together have no set order
    # in the inbox; each is made before the next is sent, so the newest is known.
    for count, title in enumerate(("Forum de l'emploi", "Atelier CV", "Job dating"), start=1):
        remind(platform, lea, title)
        wait_for(lambda: inbox(first, lea_auth)["unread_count"] == count, message=f"notification {count}")

    page = inbox(second, lea_auth, limit=2)
    rest = inbox(second, lea_auth, limit=2, cursor=page["next_cursor"])
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    newest = page["items"][0]
    assert newest["type"] == "event_reminder" and newest["title"] == "C'est demain !"
    assert "« Job dating »" in newest["body"] and newest["link"].startswith("/v1/events/")

    assert httpx.post(f"{first}/v1/notifications/{newest['id']}/read", headers=sam_auth).status_code == 404
    assert httpx.post(f"{first}/v1/notifications/{newest['id']}/read", headers=lea_auth).status_code == 204
    assert [i["id"] for i in inbox(first, lea_auth, unread="true")["items"]] == [
        i["id"] for i in [*page["items"][1:], *rest["items"]]]
    assert httpx.post(f"{first}/v1/notifications/read-all", headers=lea_auth).status_code == 204
    assert inbox(first, lea_auth)["unread_count"] == 0

    prefs = httpx.get(f"{first}/v1/notifications/preferences", headers=lea_auth).json()
    assert prefs["digest"] == "weekly" and prefs["channels"]["event_reminder"] == {"in_app": True, "email": True}
    prefs["channels"]["event_reminder"]["email"] = False
    prefs["digest"] = "daily"
    saved = httpx.put(f"{first}/v1/notifications/preferences", json=prefs, headers=lea_auth)
    assert saved.status_code == 200 and saved.json() == prefs
    refused = httpx.put(f"{first}/v1/notifications/preferences", headers=lea_auth,
                        json={"channels": {"reaction": {"in_app": True, "email": True}}, "digest": "weekly"})
    assert refused.status_code == 422


def test_a_logout_ends_the_live_stream_on_every_replica(platform, gateways, make_member):
    first, second = gateways
    lea = make_member(display_name="Léa")
    pair = httpx.post(f"{first}/v1/auth/token", json={"email": lea["email"], "password": lea["password"]}).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    other_login = login(first, lea)
    on_first, on_second, kept = Listener(first, headers), Listener(second, headers), Listener(second, other_login)
    try:
        logout = httpx.post(f"{first}/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers)
        assert logout.status_code == 204
        # identity's access_revoked reaches both replicas; each ends that login's streams at once.
        on_first.thread.join(5)
        on_second.thread.join(5)
        assert not on_first.thread.is_alive() and not on_second.thread.is_alive(), "a stream outlived its login"
        assert kept.thread.is_alive()  # the member's other login streams on
        # Resuming with the ended login's token is refused; a fresh login resumes.
        assert httpx.get(f"{second}/v1/notifications/stream", headers=headers).status_code == 401
    finally:
        for listener in (on_first, on_second, kept):
            listener.close()
