"""Re-derive analytics' tables from its stored facts.

    python -m services.analytics.rebuild

Empties the derived tables and replays every fact through the same
projections as live consumption, in one transaction: the service may keep
running (its consumers wait for the lock, then carry on), and readers see
either the old tables or the new ones. Use it after a change of the
projections or KPI tables.
"""
import logging

from services.analytics import handlers
from services.analytics.repository import AnalyticsUnitOfWork
from shared.db.engine import unit_of_work
from shared.observability.logging import configure as configure_logging
from shared.settings import Settings, get_settings

log = logging.getLogger("analytics.rebuild")


def run(settings: Settings) -> int:
    with unit_of_work(settings, "analytics", AnalyticsUnitOfWork) as uow:
        return handlers.rebuild(uow)


if __name__ == "__main__":
    configure_logging(get_settings().log_level)
    log.info("rebuilt the derived tables", extra={"facts": run(get_settings())})
