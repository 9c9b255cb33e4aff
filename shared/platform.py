"""The services of the platform, in one place (bootstrap, topology, tests)."""
import importlib

SERVICES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "posts": "services.posts.service:PostsService",
    "moderation": "services.moderation.service:ModerationService",
    "analytics": "services.analytics.service:AnalyticsService",
}

METRICS_PORTS = {"identity": 9101, "posts": 9102, "moderation": 9103, "analytics": 9104}


def service_class(name: str):
    module, cls = SERVICES[name].split(":")
    return getattr(importlib.import_module(module), cls)
