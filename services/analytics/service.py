"""analytics: a fact from every event, the pilot's figures, and the data
team's stream (nameko entrypoints only).

`on_event` consumes every event of every producer from one queue
(consumer.py): a new contract is consumed (and streamed) without touching
this file.
"""
from datetime import datetime, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.analytics import handlers, metrics
from services.analytics.consumer import all_events_handler
from services.analytics.privacy import Pseudonymizer
from services.analytics.repository import AnalyticsUnitOfWork
from services.analytics.settings import get_analytics_settings, load_pseudonym_key
from shared.contracts import ALL_EVENTS, Envelope
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver

_pseudonymizer = None


def pseudonym() -> Pseudonymizer:
    global _pseudonymizer
    if _pseudonymizer is None:
        _pseudonymizer = Pseudonymizer(load_pseudonym_key())
    return _pseudonymizer


def now() -> datetime:
    return datetime.now(timezone.utc)


class AnalyticsService:
    name = "analytics"

    uow = UnitOfWorkProvider("analytics", AnalyticsUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def posts_per_agency(self):
        with self.uow() as uow:
            return handlers.posts_per_agency(uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def kpis(self, query=None):
        with self.uow() as uow:
            return handlers.kpis_for(uow, self.caller, query, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def daily_kpis(self, query=None):
        with self.uow() as uow:
            return handlers.daily_kpis_for(uow, self.caller, query, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller, pseudonym())

    @all_events_handler(sorted({cls.producer() for cls in ALL_EVENTS}))
    def on_event(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.record_event(uow, Envelope.model_validate(body), event, pseudonym(), now())

    @timer(interval=get_analytics_settings().analytics_kpi_refresh_seconds)
    def refresh_kpi_gauges(self):
        at = now()
        with self.uow() as uow:
            figures = handlers.kpis_per_agency(uow, at, get_analytics_settings().analytics_kpi_window_days)
        metrics.publish(figures, at.timestamp())

