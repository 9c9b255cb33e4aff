"""analytics' wiring: one queue bound to every producer, and the Prometheus gauges."""
from prometheus_client import REGISTRY

from services.analytics import metrics
from services.analytics.service import AnalyticsService
from shared.contracts import ALL_EVENTS
from shared.messaging.topology import subscriptions_of


def test_one_queue_is_bound_to_every_producer_of_a_contract():
    subscriptions = subscriptions_of(AnalyticsService)
    assert {s.queue for s in subscriptions} == {"evt-all--analytics.on_event"}
    assert {(s.source_service, s.event_name) for s in subscriptions} == {(c.producer(), "#") for c in ALL_EVENTS}


def value(name, agency):
    return REGISTRY.get_sample_value(name, {"agency": agency})


def test_gauges_per_agency_and_no_series_for_null():
    metrics.publish({"TEST-A": {"posts": 4, "answered_question_ratio": 0.5, "mentoring_matches": 0}}, 1.0)
    assert value("platform_kpi_posts", "TEST-A") == 4
    assert value("platform_kpi_answered_question_ratio", "TEST-A") == 0.5
    assert value("platform_kpi_mentoring_matches", "TEST-A") == 0
    metrics.publish({"TEST-A": {"posts": 5, "answered_question_ratio": None}}, 2.0)
    assert value("platform_kpi_posts", "TEST-A") == 5
    assert value("platform_kpi_answered_question_ratio", "TEST-A") is None
    assert REGISTRY.get_sample_value("platform_kpi_refreshed_timestamp_seconds") == 2.0
