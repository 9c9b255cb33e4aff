"""A nameko dependency that observes every entrypoint of its service:
Prometheus count and duration by outcome, the correlation id for logs, and
one JSON log line per call: at INFO, except the successful calls of the
service's `quiet_entrypoints` (reads) faster than LOG_SLOW_CALL_MS, at DEBUG.
"""
import logging
import time

from nameko.extensions import DependencyProvider

from shared.errors import DomainError, TemporarilyUnavailable
from shared.observability import logging as platform_logging
from shared.observability import metrics
from shared.settings import get_settings

log = logging.getLogger("platform.entrypoint")


def outcome_of(exc_info) -> str:
    if exc_info is None:
        return "success"
    if isinstance(exc_info[1], TemporarilyUnavailable):
        return "error"  # the service could not do its job (its database away): not a refusal
    if isinstance(exc_info[1], DomainError):
        return "rejected"  # an expected failure (validation, not found, forbidden...)
    return "error"


class EntrypointObserver(DependencyProvider):
    def setup(self):
        self._started: dict = {}
        self._slow_seconds = get_settings().log_slow_call_ms / 1000

    def start(self):
        settings = get_settings()
        metrics.serve(settings.metrics_port, settings.metrics_host)

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        platform_logging.correlation_id.set(worker_ctx.data.get("correlation_id"))
        platform_logging.entrypoint.set(worker_ctx.entrypoint.method_name)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        service = worker_ctx.service_name
        name = worker_ctx.entrypoint.method_name
        entrypoint = worker_ctx.entrypoint
        kind = getattr(entrypoint, "metric_kind", None) or type(entrypoint).__name__
        outcome = outcome_of(exc_info)
        metrics.ENTRYPOINT_CALLS.labels(service, name, kind, outcome).inc()
        metrics.ENTRYPOINT_DURATION.labels(service, name, kind).observe(elapsed)
        if outcome == "error":
            level = logging.ERROR
        elif outcome == "success" and elapsed < self._slow_seconds and name in getattr(
            worker_ctx.service, "quiet_entrypoints", ()
        ):
            level = logging.DEBUG
        else:
            level = logging.INFO
        if not log.isEnabledFor(level):
            return
        log.log(
            level,
            "entrypoint handled",
            extra={"entrypoint": name, "kind": kind, "outcome": outcome, "duration_ms": round(elapsed * 1000, 2)},
            exc_info=exc_info if outcome == "error" else None,
        )

    def get_dependency(self, worker_ctx):
        return None
