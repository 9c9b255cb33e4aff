"""Small helpers over PromQL text for the operations tests: which metric names
an expression reads, and which names the platform and its exporters export."""
import re

from prometheus_client import REGISTRY, CollectorRegistry

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (recording-rule names included)."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPINGS.sub("", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def exposed_names(registry: CollectorRegistry) -> set[str]:
    """Every series name a registry exposes, labelled metrics with no child yet included."""
    names = set()
    for family in registry.collect():
        if family.type == "counter":
            names |= {family.name + "_total", family.name + "_created"}
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count", "_created")}
        elif family.type == "summary":
            names |= {family.name + s for s in ("", "_sum", "_count", "_created")}
        else:
            names.add(family.name)
        names |= {sample.name for sample in family.samples}
    return names


def platform_registries() -> dict[str, CollectorRegistry]:
    """The registry of a service process (shared.observability.metrics, with
    prometheus_client's process collectors) and the gateway's."""
    import importlib

    import shared.observability.metrics  # noqa: F401  (registers the service metrics)
    from gateway.metrics import GatewayMetrics

    for module in SERVICE_METRICS_MODULES:
        importlib.import_module(module)

    return {"service": REGISTRY, "gateway": GatewayMetrics().registry}


# Services that register metrics of their own (services/<name>/metrics.py):
# imported, they add them to the process registry read below.
SERVICE_METRICS_MODULES = ("services.moderation.metrics", "services.analytics.metrics", "services.notifications.metrics",
                          "services.identity.metrics")

# Exported by what Prometheus scrapes around the platform.
FROM_PROMETHEUS = {"up"}
FROM_RABBITMQ = {  # rabbitmq_prometheus 3.10+: /metrics and /metrics/detailed
    "rabbitmq_detailed_queue_messages", "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked", "rabbitmq_detailed_queue_consumers",
    "rabbitmq_channel_messages_published_total", "rabbitmq_channel_messages_delivered_total",
    "rabbitmq_channel_messages_delivered_ack_total", "rabbitmq_connections", "rabbitmq_channels",
}
FROM_POSTGRES_EXPORTER = {"pg_up", "pg_stat_database_numbackends"}


def known_names() -> set[str]:
    names = set().union(*(exposed_names(r) for r in platform_registries().values()))
    return names | FROM_PROMETHEUS | FROM_RABBITMQ | FROM_POSTGRES_EXPORTER
