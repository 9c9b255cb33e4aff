"""The headline KPIs as Prometheus gauges, one series per agency.

The operations team's Grafana dashboards read exactly these names. Each is
the figure over the last ANALYTICS_KPI_WINDOW_DAYS days (30 by default),
recomputed every ANALYTICS_KPI_REFRESH_SECONDS; a figure that is null
(an empty denominator) has no series rather than a 0 or NaN.
"""
from prometheus_client import Gauge

HEADLINE = {
    "active_users": "Distinct people active in the agency over the window.",
    "posts": "Posts first published in the agency over the window.",
    "answered_question_ratio": "Share of the window's questions with an answer from someone else.",
    "median_minutes_to_first_answer": "Median minutes from a question to its first answer by someone else.",
    "event_fill_rate": "Confirmed seats over capacity of the window's events that were not cancelled.",
    "mentoring_matches": "Mentoring requests accepted over the window.",
}

GAUGES = {name: Gauge(f"platform_kpi_{name}", help_text, ["agency"]) for name, help_text in HEADLINE.items()}
REFRESHED = Gauge("platform_kpi_refreshed_timestamp_seconds", "When the KPI gauges were last recomputed.")


def publish(figures_per_agency: dict[str, dict], at_timestamp: float) -> None:
    for agency, figures in figures_per_agency.items():
        for name, gauge in GAUGES.items():
            value = figures.get(name)
            if value is None:
                try:
                    gauge.remove(agency)
                except KeyError:
                    pass
            else:
                gauge.labels(agency).set(value)
    REFRESHED.set(at_timestamp)
