"""moderation's Prometheus metrics (served by the service process, like
shared/observability/metrics.py)."""
from prometheus_client import Counter, Gauge, Histogram

CASES_OPENED = Counter(
    "moderation_cases_opened_total", "Cases put in a queue for a person, by what opened them.", ["source"]
)
DECISIONS = Counter("moderation_decisions_total", "Cases decided by a person, by action.", ["action"])
TIME_TO_DECISION = Histogram(
    "moderation_time_to_decision_seconds",
    "From a case entering the queue to a person's decision.",
    buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600, 7 * 24 * 3600),
)
SCREENINGS_UNFINISHED = Counter(
    "moderation_screenings_unfinished_total",
    "Texts held for a person because screening did not finish: over its time budget, its worker died, or an error.",
    ["cause"],
)
QUEUE_DEPTH = Gauge("moderation_queue_depth", "Open cases waiting for a person, per agency.", ["agency"])


def set_queue_depth(per_agency: dict[str, int], known: set[str]) -> set[str]:
    """Set the gauge for every agency with open cases, and back to 0 for the
    ones seen before that have none left. Returns the agencies now known."""
    for agency in known - set(per_agency):
        QUEUE_DEPTH.labels(agency).set(0)
    for agency, count in per_agency.items():
        QUEUE_DEPTH.labels(agency).set(count)
    return known | set(per_agency)
