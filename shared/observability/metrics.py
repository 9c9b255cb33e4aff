"""Prometheus metrics of a service process (one registry per process).

Names follow Prometheus conventions (tests/ops/test_metric_names.py checks
them): counters end in `_total`, durations and ages are in seconds
(`_seconds`), sizes in bytes, counts of things end in a plural noun. The
alert rules (infra/prometheus/alerts.yml) and the dashboards
(infra/grafana/dashboards/) use these names: rename one and they fail in
the tests.
"""
import threading

from prometheus_client import Counter, Gauge, Histogram, start_http_server

ENTRYPOINT_CALLS = Counter(
    "service_entrypoint_calls_total",
    "Entrypoint invocations (RPC calls, events handled) by outcome.",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_DURATION = Histogram(
    "service_entrypoint_duration_seconds",
    "Time spent in an entrypoint.",
    ["service", "entrypoint", "kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published and confirmed.", ["service"])
OUTBOX_PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Failed outbox publish attempts.", ["service"])
# A count of things: the unit is the plural noun (Prometheus naming: outbox_backlog_messages).
OUTBOX_BACKLOG = Gauge("outbox_backlog_messages", "Outbox rows not yet published.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unsent_age_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)
INBOX_DUPLICATES = Counter(
    "inbox_duplicates_skipped_total", "Events skipped because they were already handled.", ["service", "consumer"]
)
RPC_PAST_DEADLINE = Counter(
    "rpc_refused_past_deadline_total",
    "RPC requests picked up after their caller's deadline, refused without doing the work.",
    ["service", "entrypoint"],
)
IDEMPOTENT_REPLAYS = Counter(
    "idempotent_replays_total",
    "Creating requests answered from their Idempotency-Key's stored answer, nothing done twice.",
    ["service", "entrypoint"],
)
EVENTS_DEAD_LETTERED = Counter(
    "events_dead_lettered_total", "Events parked in the dead-letter queue after the last try.", ["service", "queue"]
)
EVENTS_RETRIED = Counter(
    "events_retried_total",
    "Failed event handlings tried again: held through a transient failure, or sent back after a poison one.",
    ["service", "queue"],
)

_server_lock = threading.Lock()
_server_started = False


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on `host`:`port` once per process (port 0: don't)."""
    global _server_started
    if not port:
        return
    with _server_lock:
        if not _server_started:
            start_http_server(port, addr=host)
            _server_started = True
