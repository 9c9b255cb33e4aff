"""Prometheus metrics of the web app, in a registry of its own per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, GCCollector, Histogram, PlatformCollector, ProcessCollector


class WebMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http_requests = Counter(
            "http_requests_total", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds", "HTTP request duration, by route template.",
            ["method", "route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.gateway_calls = Counter(
            "web_gateway_calls_total", "Calls from the web app to the gateway, by outcome (ok, problem, down).",
            ["method", "outcome"], registry=self.registry,
        )
        self.token_refreshes = Counter(
            "web_token_refreshes_total", "Access tokens refreshed for a session, by outcome (ok, ended).",
            ["outcome"], registry=self.registry,
        )
