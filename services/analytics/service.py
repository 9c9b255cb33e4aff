"""analytics: a fact from every event, the pilot's figures, and the data
team's stream (nameko entrypoints only).

`on_event` consumes every event of every producer from one queue
(consumer.py), in batches committed together: a new contract is consumed
(and streamed) without touching this file.
"""
from nameko.timer import timer

from services.analytics import handlers, metrics
from services.analytics.consumer import all_events_handler
from services.analytics.privacy import Pseudonymizer
from services.analytics.repository import AnalyticsUnitOfWork
from services.analytics.settings import AnalyticsSettings, load_pseudonym_key
from shared.chassis import Collaborator, Service, consumes_batches, rpc
from shared.contracts import ALL_EVENTS
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings

SETTINGS = get_settings(AnalyticsSettings)


class AnalyticsService(Service):
    name = "analytics"
    unit_of_work = AnalyticsUnitOfWork

    pseudonym = Collaborator(lambda: Pseudonymizer(load_pseudonym_key()))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def posts_per_agency(self):
        return handlers.posts_per_agency(self.uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def kpis(self, query=None):
        return handlers.kpis_for(self.uow, self.caller, query, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def daily_kpis(self, query=None):
        return handlers.daily_kpis_for(self.uow, self.caller, query, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller, self.pseudonym)

    @consumes_batches(all_events_handler(sorted({cls.producer() for cls in ALL_EVENTS})))
    def on_event(self, event):
        handlers.record_event(self.uow, self.uow.incoming, event, self.pseudonym, self.now())

    @timer(interval=SETTINGS.analytics_kpi_refresh_seconds)
    def refresh_kpi_gauges(self):
        at = self.now()
        figures = handlers.kpis_per_agency(self.uow, at, SETTINGS.analytics_kpi_window_days)
        metrics.publish(figures, at.timestamp())
