"""The services of the platform, in one place (bootstrap, topology, tests, gateway)."""
import importlib
from types import ModuleType

SERVICES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "posts": "services.posts.service:PostsService",
    "moderation": "services.moderation.service:ModerationService",
    "analytics": "services.analytics.service:AnalyticsService",
    "events": "services.events.service:EventsService",
    "mentoring": "services.mentoring.service:MentoringService",
    "notifications": "services.notifications.service:NotificationsService",
}

METRICS_PORTS = {"identity": 9101, "posts": 9102, "moderation": 9103, "analytics": 9104, "events": 9105, "mentoring": 9106, "notifications": 9107}


def service_class(name: str):
    module, cls = SERVICES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def deploy_module(name: str) -> ModuleType | None:
    """`services/<name>/bootstrap.py`, where a service says what it needs at
    deploy time: `check(settings)` (refuse a configuration unfit to deploy,
    before anything is done), `declare_broker(amqp_uri)` (its own exchanges
    and queues beyond its event handlers') and `seed(settings)` (its initial
    data)."""
    try:
        return importlib.import_module(f"services.{name}.bootstrap")
    except ModuleNotFoundError as error:
        if error.name != f"services.{name}.bootstrap":
            raise
        return None
