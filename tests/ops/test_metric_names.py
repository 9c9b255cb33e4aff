"""The platform's own metrics follow Prometheus naming conventions
(https://prometheus.io/docs/practices/naming/): base units in the name,
`_total` on counters only, no label that Prometheus itself sets."""
import re

import pytest
from prometheus_client import REGISTRY

from tests.ops.promql import FROM_RABBITMQ, metric_names, platform_registries

OWN_PREFIXES = ("service_", "outbox_", "inbox_", "events_", "rpc_", "http_", "gateway_")
# Metrics the services register themselves (services/<name>/metrics.py).
SERVICE_PREFIXES = ("moderation_", "notifications_", "identity_", "platform_kpi_")
# Names fixed by the pilot's KPI definitions (docs/kpis.md), read as such by
# the dashboards: minutes are the unit the pilot team reports in.
KPI_NAMES_FIXED_BY_THE_PILOT = {"platform_kpi_median_minutes_to_first_answer"}
NON_BASE_UNITS = re.compile(r"_(ms|millis|milliseconds|microseconds|us|ns|minutes|hours|days|kb|mb|gb|kilobytes|megabytes)(_|$)")
TIME_WORDS = re.compile(r"(^|_)(duration|latency|age|elapsed|time|delay|wait)(_|$)")
RESERVED_LABELS = {"job", "instance", "le", "quantile"}


def own_families():
    seen = {}
    for origin, registry in platform_registries().items():
        for family in registry.collect():
            if family.name.startswith(OWN_PREFIXES + SERVICE_PREFIXES):
                seen[(origin, family.name)] = family
    return seen


def labels_of(origin, name):
    registry = platform_registries()[origin] if origin == "gateway" else REGISTRY
    collector = registry._names_to_collectors.get(name) or registry._names_to_collectors.get(name + "_total")
    return set(getattr(collector, "_labelnames", ()))


def test_the_platform_exports_the_metrics_operations_rely_on():
    names = {name for _, name in own_families()}
    for expected in (
        "service_entrypoint_calls", "service_entrypoint_duration_seconds", "outbox_backlog_messages",
        "outbox_oldest_unsent_age_seconds", "outbox_published", "outbox_publish_failures",
        "inbox_duplicates_skipped", "events_dead_lettered", "events_retried",
        "http_requests", "http_request_duration_seconds", "gateway_rpc_calls", "gateway_rpc_timeouts",
    ):
        assert expected in names, expected


@pytest.mark.parametrize("key", sorted(own_families()), ids=lambda k: f"{k[0]}:{k[1]}")
def test_metric_name_follows_conventions(key):
    origin, name = key
    family = own_families()[key]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name), "snake_case"
    assert family.documentation.strip(), "every metric has a help text"
    if name not in KPI_NAMES_FIXED_BY_THE_PILOT:
        assert not NON_BASE_UNITS.search(name), "base units only: seconds, bytes"
    # prometheus_client strips `_total` from a counter's family name and adds
    # it back on exposition; anything else must not look like a counter.
    assert "_total" not in name, "only counters end in _total"
    if family.type == "histogram" or TIME_WORDS.search(name):
        if family.type != "counter":
            assert name.endswith("_seconds"), "a duration or an age is in seconds"
    if "size" in name or "bytes" in name:
        assert name.endswith("_bytes"), "a size is in bytes"
    if family.type == "gauge" and name.startswith(OWN_PREFIXES) and not name.endswith(("_seconds", "_bytes", "_ratio")):
        assert name.endswith("s"), "a count gauge names its unit as a plural noun (..._messages)"
    assert not labels_of(origin, name) & RESERVED_LABELS, "labels set by Prometheus itself"


def test_the_metric_name_extractor_sees_every_selector():
    """The dashboards and alerts checks rely on this extraction."""
    expr = ('histogram_quantile(0.95, sum by (le, service) (rate(service_entrypoint_duration_seconds_bucket{kind="Rpc"}[5m])))'
            ' / on(service) group_left sum(up{job="a"}) and outbox_backlog_messages > 100 unless'
            ' rabbitmq_detailed_queue_messages{queue="dead-letters"} offset 5m')
    assert metric_names(expr) == {
        "service_entrypoint_duration_seconds_bucket", "up", "outbox_backlog_messages", "rabbitmq_detailed_queue_messages",
    }
    assert "rabbitmq_detailed_queue_messages" in FROM_RABBITMQ
