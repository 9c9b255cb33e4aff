"""A background loop in a nameko service: a managed green thread that does
its work when woken (`wake()`, e.g. after a commit) and every `poll_seconds`
anyway, and waits with back-off after a failure (the broker or the database
is down). The outbox relay and the e-mail sender are two of them."""
import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from shared import backoff

log = logging.getLogger(__name__)


class WakeableLoop(DependencyProvider):
    loop_name = "loop"

    def poll_seconds(self) -> float:
        raise NotImplementedError

    def run_once(self) -> None:
        """Do all the work there is now."""
        raise NotImplementedError

    def on_failure(self, error: Exception) -> None:
        """Called after a failed run, before the back-off wait."""

    def close(self) -> None:
        """Called once the loop has stopped."""

    def setup(self):
        self._wake = Event()
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._loop, identifier=f"{self.container.service_name}.{self.loop_name}")

    def stop(self):
        self._running = False
        self.wake()

    def kill(self):
        self.stop()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _loop(self):
        failures = 0
        while self._running:
            self._wake = Event()  # a wake during the run below wakes the next wait at once
            try:
                self.run_once()
                failures = 0
            except Exception as error:
                failures += 1
                log.warning(f"{self.loop_name} failed, retrying", extra={"error": repr(error)})
                self.on_failure(error)
                eventlet.sleep(backoff.delay(failures, first=1.0, most=10.0))
                continue
            self._wake.wait(self.poll_seconds())
        self.close()
