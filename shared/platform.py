"""The services of the platform, in one place (bootstrap, topology, tests)."""
import importlib

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
