"""The nameko dependency giving each worker its unit of work, and running the
service's outbox relay in the same process.

`self.uow` inside an entrypoint is a unit of work opened for that worker and
closed when the worker ends: what was not committed is rolled back. Handlers
commit; a timer that works in batches commits after each batch.
"""
import logging
import time

from sqlalchemy.orm import sessionmaker

from shared.background import WakeableLoop
from shared.db.engine import make_engine
from shared.messaging.outbox_relay import OutboxRelay
from shared.settings import get_settings

log = logging.getLogger(__name__)

# The backlog gauges are read by a scrape every few seconds: under load (a
# relay pass per commit) counting the unsent rows after each pass was a
# quarter of the relay's CPU (issue 17), so a pass that sent events observes
# at most this often; a pass that found nothing to send (idle) observes.
BACKLOG_OBSERVE_SECONDS = 1.0


class UnitOfWorkProvider(WakeableLoop):
    """The relay is woken by every commit that recorded events (and polls
    every OUTBOX_POLL_SECONDS as a safety net: another replica's rows, rows
    left by a crash, a broker outage)."""

    loop_name = "outbox relay"

    def __init__(self, service: str, uow_class):
        self.service = service
        self.uow_class = uow_class

    def setup(self):
        super().setup()
        settings = get_settings()
        max_workers = int(self.container.config.get("max_workers", 10))
        self.engine = make_engine(settings.service_database_url(self.service), pool_size=max_workers + 2)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(self.engine, self.container.config["AMQP_URI"], self.service)
        self._poll_seconds = settings.outbox_poll_seconds
        self._open: dict = {}
        self._next_observation = 0.0

    def poll_seconds(self) -> float:
        return self._poll_seconds

    def run_once(self) -> None:
        sent = self.relay.drain()
        now = time.monotonic()
        if not sent or now >= self._next_observation:
            self.relay.observe_backlog()
            self._next_observation = now + BACKLOG_OBSERVE_SECONDS

    def on_failure(self, error: Exception) -> None:
        self.relay.record_failure(error)
        try:  # keep the backlog gauges moving while publishing fails: that is when they matter
            self.relay.observe_backlog()
        except Exception:
            log.debug("outbox backlog not observable (database down?)", exc_info=True)

    def close(self) -> None:
        self.relay.close()

    def get_dependency(self, worker_ctx):
        uow = self.uow_class(self.session_factory, worker_ctx.data.get("correlation_id"), self.wake)
        self._open[worker_ctx] = uow
        return uow.__enter__()

    def worker_teardown(self, worker_ctx):
        uow = self._open.pop(worker_ctx, None)
        if uow is not None:
            uow.__exit__(None, None, None)
