"""Screening that cannot hold the service: a few worker processes, and a
time budget per text.

The service process runs on eventlet: a pure-Python loop there stops every
other green thread (RPCs, timers, the broker's heartbeats) until it ends.
Texts are screened in `screening_worker` processes instead; the service's
green thread only waits on a pipe. A worker that has not answered within
`budget` seconds is killed and replaced, and the text is held for a person
with the reason `screening.unfinished`: never published unscreened.

Short texts (`in_process_up_to` characters or fewer) are screened in the
service process itself: the detectors are linear (issue 12), so a short text
cannot hold the loop long, and the trip to a worker (JSON both ways, two
pipe writes and reads, the worker waking) cost more CPU than the screening
(issue 17).
"""
import json
import logging
import os
import sys
from dataclasses import dataclass, field

import eventlet
from eventlet.green import subprocess
from eventlet.queue import Empty, LightQueue

from services.moderation import metrics
from services.moderation.config import Rules
from services.moderation.screening import Screening
from services.moderation.screening_worker import DEFAULT_FACTORY, load, where
from services.moderation.spam import RecentWriting
from shared.settings import REPO_ROOT

log = logging.getLogger(__name__)
# A worker imports the service's code and reads the word list before it is ready.
START_TIMEOUT = 60.0
# Waiting for a free worker is normal under load; this long without one, the
# pool is broken (workers that cannot start): the event fails and is retried.
WAIT_FOR_WORKER = 30.0


class WorkerFailed(Exception):
    pass


@dataclass(eq=False)  # compared and hashed by identity: the pool keeps a set of them
class _Worker:
    process: subprocess.Popen
    _read: bytearray = field(default_factory=bytearray)  # what the worker wrote past the last line taken

    def ask(self, request: bytes) -> dict:
        self.process.stdin.write(request)
        self.process.stdin.flush()
        return json.loads(self.line())

    def line(self) -> bytes:
        """The worker's next line. The green pipe's readline() reads one byte
        per call, each a trip through the hub (trampoline, epoll register and
        unregister): ~350 per answer, two thirds of the service's CPU per
        screened post (issue 17). One read takes what the pipe holds."""
        while (end := self._read.find(b"\n")) < 0:
            chunk = self.process.stdout.read(65536)
            if not chunk:
                raise WorkerFailed(f"worker exited with {self.process.poll()}")
            self._read += chunk
        line = bytes(self._read[: end + 1])
        del self._read[: end + 1]
        return line

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()


class ScreeningPool:
    """`screen()` answers like `Screener.screen`, from a worker process,
    within `budget` seconds (waiting for a free worker not counted, up to
    `wait` seconds; past that it raises, and the event is tried again)."""

    def __init__(self, rules: Rules, size: int, budget: float, factory: str = DEFAULT_FACTORY,
                 wait: float = WAIT_FOR_WORKER, in_process_up_to: int = 0):
        self.rules = rules  # the thresholds are read by the service itself (reports, pruning)
        self.budget = budget
        self.wait = wait
        self.factory = factory
        self.in_process_up_to = in_process_up_to
        # The workers' screener, here too (same factory: same rules file and word list).
        self._here = load(factory) if in_process_up_to > 0 else None
        self._idle: LightQueue = LightQueue()
        self._all: set[_Worker] = set()
        self._closed = False
        for _ in range(size):  # at start: a worker that cannot start stops the service
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", "services.moderation.screening_worker", self.factory],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO_ROOT, env=env,
        )
        worker = _Worker(process)
        try:
            with eventlet.Timeout(START_TIMEOUT, WorkerFailed("screening worker did not start in time")):
                line = worker.line()
            if json.loads(line).get("ready") is not True:
                raise WorkerFailed(f"screening worker failed to start: {line[:200]!r}")
        except BaseException:
            worker.kill()
            raise
        self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        if self._closed:
            return

        def start_another():
            while not self._closed:
                try:
                    self._idle.put(self._start())
                    return
                except Exception:  # noqa: BLE001 - keep trying: the pool must not shrink for good
                    log.exception("screening worker failed to start; trying again")
                    eventlet.sleep(1.0)

        eventlet.spawn_n(start_another)

    def screen(self, text: str, *, target_id: str = "", created: bool = True, at=None,
               recent: list[RecentWriting] = ()) -> Screening:
        if len(text) <= self.in_process_up_to:
            return self._screen_here(text, target_id=target_id, created=created, at=at, recent=recent)
        request = json.dumps({
            "text": text, "target_id": target_id, "created": created, "at": at.isoformat() if at else None,
            "recent": [[w.target_id, w.fingerprint, w.created, w.at.isoformat()] for w in recent],
        }).encode() + b"\n"
        try:
            worker = self._idle.get(timeout=self.wait)
        except Empty:
            raise WorkerFailed(f"no screening worker free within {self.wait} s") from None
        budget = eventlet.Timeout(self.budget)
        try:
            reply = worker.ask(request)
        except eventlet.Timeout as fired:
            if fired is not budget:  # someone else's deadline: not this text's fault
                self._replace(worker)
                raise
            return self._unfinished(worker, text, "budget", f"no answer within {self.budget} s")
        except (WorkerFailed, OSError, ValueError) as error:
            return self._unfinished(worker, text, "worker", repr(error))
        except BaseException:
            self._replace(worker)  # interrupted mid-text (the service stopping): its answer would come to the next
            raise
        finally:
            budget.cancel()
        self._idle.put(worker)
        if "error" in reply:
            metrics.SCREENINGS_UNFINISHED.labels("error").inc()
            log.error("screening failed, held for a person", extra={"error": reply["error"], "target_id": target_id})
            return Screening.unfinished(text)
        return Screening(reply["decision"], tuple(reply["reasons"]), reply["fingerprint"], reply["excerpt"])

    def _screen_here(self, text: str, *, target_id: str, created: bool, at, recent) -> Screening:
        """A short text, in this process; a failure holds it for a person, as a worker's would."""
        try:
            return self._here.screen(text, target_id=target_id, created=created, at=at, recent=list(recent))
        except Exception as error:  # noqa: BLE001 - held for a person, like a worker's error
            metrics.SCREENINGS_UNFINISHED.labels("error").inc()
            log.error("screening failed, held for a person", extra={"error": where(error), "target_id": target_id})
            return Screening.unfinished(text)

    def _unfinished(self, worker: _Worker, text: str, cause: str, detail: str) -> Screening:
        self._replace(worker)
        metrics.SCREENINGS_UNFINISHED.labels(cause).inc()
        log.warning("screening unfinished, held for a person", extra={"error": detail, "cause": cause})
        return Screening.unfinished(text)

    def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
