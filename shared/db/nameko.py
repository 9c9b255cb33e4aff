"""The nameko dependency giving a service its unit of work, and running its
outbox relay in the same process.

    class PostsService:
        uow = UnitOfWorkProvider("posts", PostsUnitOfWork)

        @rpc
        def create_post(self, data):
            with self.uow() as uow:
                return handlers.create_post(uow, self.caller, data)

        @event_handler("moderation", "content_screened")
        def on_content_screened(self, body):
            with self.uow.for_event(body) as (uow, event):
                if event is not None:      # None: handled before, skipped
                    handlers.apply_screening(uow, event)
"""
import logging
from contextlib import contextmanager

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from shared.contracts import Envelope, parse_payload
from shared.db.engine import make_engine
from shared.messaging.outbox_relay import OutboxRelay
from shared.observability import metrics
from shared.settings import get_settings

log = logging.getLogger(__name__)

ERASURE_EVENT = "identity.user_erased"


class _Handle:
    """What `self.uow` is inside a worker."""

    def __init__(self, provider: "UnitOfWorkProvider", worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def __call__(self):
        p = self._provider
        return p.uow_class(p.session_factory, self._worker_ctx.data.get("correlation_id"), p.wake_relay)

    @contextmanager
    def for_event(self, body: dict):
        """Open a unit of work for an incoming event, claiming it in the inbox.

        Yields (uow, typed payload), or (uow, None) when this consumer handled
        the event before. Commits when the block ends without error.
        """
        envelope = Envelope.model_validate(body)
        consumer = f"{self._worker_ctx.service_name}.{self._worker_ctx.entrypoint.method_name}"
        with self() as uow:
            if not uow.claim(consumer, envelope.event_id):
                metrics.INBOX_DUPLICATES.labels(self._worker_ctx.service_name, consumer).inc()
                log.info("duplicate event skipped", extra={"event_id": str(envelope.event_id)})
                yield uow, None
                return
            yield uow, parse_payload(envelope)
            if envelope.event_type == ERASURE_EVENT:
                uow.forget_published_events()  # GDPR: sent events may carry the member's data
            uow.commit()

    def engine(self):
        return self._provider.engine


class UnitOfWorkProvider(DependencyProvider):
    def __init__(self, service: str, uow_class):
        self.service = service
        self.uow_class = uow_class

    def setup(self):
        settings = get_settings()
        max_workers = int(self.container.config.get("max_workers", 10))
        self.engine = make_engine(settings.database_url(self.service), pool_size=max_workers + 2)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(self.engine, self.container.config["AMQP_URI"], self.service)
        self._poll_seconds = settings.outbox_poll_seconds
        self._wake = Event()
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._relay_loop, identifier=f"{self.service}.outbox_relay")

    def stop(self):
        self._running = False
        self.wake_relay()

    def kill(self):
        self.stop()

    def wake_relay(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _relay_loop(self):
        """Publish what is committed; wake on commit, poll as a safety net
        (another replica's rows, rows left by a crash, a broker outage)."""
        failures = 0
        while self._running:
            self._wake = Event()  # a commit during the drain below wakes the next wait at once
            try:
                self.relay.drain()
                self.relay.observe_backlog()
                failures = 0
            except Exception as error:  # broker or database down: retry with backoff
                failures += 1
                log.warning("outbox relay failed, retrying", extra={"error": repr(error)})
                self.relay.record_failure(error)
                try:  # keep the backlog gauges moving while publishing fails: that is when they matter
                    self.relay.observe_backlog()
                except Exception:
                    log.debug("outbox backlog not observable (database down?)", exc_info=True)
                eventlet.sleep(min(0.5 * 2 ** failures, 10))
                continue
            self._wake.wait(self._poll_seconds)
        self.relay.close()

    def get_dependency(self, worker_ctx):
        return _Handle(self, worker_ctx)
