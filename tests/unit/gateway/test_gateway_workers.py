"""Several gateway processes by default on a machine with several cores, and
/metrics adding up every worker's counts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gateway.settings import MAX_AUTO_WORKERS, GatewaySettings
from shared.settings import REPO_ROOT


def test_one_worker_per_core_by_default(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(2)))
    assert GatewaySettings(gateway_workers=0).worker_count() == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert GatewaySettings(gateway_workers=0).worker_count() == MAX_AUTO_WORKERS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert GatewaySettings(gateway_workers=0).worker_count() == 1


def test_gateway_workers_is_taken_as_given(monkeypatch):
    monkeypatch.setenv("GATEWAY_WORKERS", "3")
    assert GatewaySettings().worker_count() == 3


def test_the_default_command_line_starts_that_many_workers(monkeypatch):
    import uvicorn

    from gateway import __main__ as entry

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, metrics=os.environ.get(
        "PROMETHEUS_MULTIPROC_DIR")))
    monkeypatch.setattr(sys, "argv", ["gateway"])
    monkeypatch.setattr(entry, "configure_logging", lambda level: None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(2)))
    monkeypatch.delenv("GATEWAY_WORKERS", raising=False)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    entry.main()
    assert seen["workers"] == 2 and seen["metrics"]  # a directory for the workers' metrics
    assert not os.path.exists(seen["metrics"])  # removed when the gateway stops
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ  # nor left for processes started later


WORKER = """
from gateway.metrics import GatewayMetrics
metrics = GatewayMetrics()
metrics.http_requests.labels("GET", "/v1/feed", "200").inc()
print(metrics.exposition().decode())
"""


def test_metrics_add_up_every_worker(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    outputs = [subprocess.run([sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=True).stdout
               for _ in range(3)]
    line = 'http_requests_total{method="GET",route="/v1/feed",status="200"}'
    counts = [float(next(row.split()[-1] for row in out.splitlines() if row.startswith(line))) for out in outputs]
    assert counts == [1.0, 2.0, 3.0]  # whichever worker answers /metrics counts them all
    assert "process_cpu_seconds_total" in outputs[-1]
