"""Prometheus metrics of the gateway, in a registry of its own per app.

With several worker processes (`python -m gateway --workers N`, the default
on a machine with several cores) PROMETHEUS_MULTIPROC_DIR is set: each worker
writes its counts to files there, and /metrics, whichever worker answers,
adds them up (prometheus_client's multiprocess mode); the process metrics
(CPU, memory) are then those of the worker that answers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration, by route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.rpc_calls = Counter(
            "gateway_rpc_calls_total",
            "RPC calls made by the gateway, by outcome "
            "(ok, remote_error, timeout, unavailable, error).",
            ["service", "method", "outcome"],
            registry=self.registry,
        )
        self.rpc_timeouts = Counter(
            "gateway_rpc_timeouts_total",
            "RPC calls that missed their deadline.",
            ["service", "method"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "gateway_rate_limited_total",
            "Requests refused with 429 by a rate limit, by policy.",
            ["policy"],
            registry=self.registry,
        )
        self.rate_limit_store_errors = Counter(
            "gateway_rate_limit_store_errors_total",
            "Failures to reach the rate-limit counters (requests then go unlimited for a few seconds).",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text /metrics serves."""
        directory = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
        if not directory:
            return generate_latest(self.registry)
        every_worker = CollectorRegistry()
        MultiProcessCollector(every_worker, path=directory)
        this_process = CollectorRegistry()
        ProcessCollector(registry=this_process)
        PlatformCollector(registry=this_process)
        GCCollector(registry=this_process)
        return generate_latest(every_worker) + generate_latest(this_process)
