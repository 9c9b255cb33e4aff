"""Prepare a fresh or existing installation; safe to run again.

`make up` and the compose `bootstrap` service run `python -m stack.bootstrap`:
first each service's check (outside development, PLATFORM_ENV, identity
refuses a weak or documented admin password), then the cursor key when
missing and, in development only, the JWT key pair; one database per
service, every service's Alembic migrations, each service's own database
role (stack/db_roles.py: its database alone), the gateway's database
(rate-limit counters), the RabbitMQ topology and policies (stack/topology.py),
each service's and the gateway's broker user (stack/broker_users.py: its own
queues and exchanges alone), the data team's, and each
service's initial data (its `services/<name>/bootstrap.py`: the pilot's 11
agencies in 4 regions and the national admin, the topics). What exists is kept.
"""
import logging
from pathlib import Path

from shared.db import migrations
from shared.db.engine import ensure_database
from shared.keys import secret_key, write_jwt_keys
from shared.observability.logging import configure as configure_logging
from shared.settings import Settings, get_settings
from stack import broker_users, db_roles, topology
from stack.services import SERVICES, deploy_module

log = logging.getLogger("bootstrap")


def ensure_keys(settings: Settings) -> None:
    """The cursor key when not given (CURSOR_KEY); in development, the JWT key
    pair and the caller-context pair. Elsewhere the deployment provides them
    (a Kubernetes Secret; compose's `keys` step, python -m stack.keys): the
    JWT private key to identity alone, the caller private key to the gateway
    alone, and the bootstrap, which uses neither, never sees them."""
    secret_key(settings.cursor_key, settings.cursor_key_path, "CURSOR_KEY")
    pairs = {
        "JWT": (settings.jwt_private_key_path, settings.jwt_public_key_path),
        "caller": (settings.caller_private_key_path, settings.caller_public_key_path),
    }
    for what, (private, public) in pairs.items():
        private, public = Path(private), Path(public)
        if private.exists() and public.exists():
            continue
        if not settings.is_development:
            log.info("signing keys not made here: outside development the deployment provides them",
                     extra={"keys": what})
            continue
        write_jwt_keys(private, public)
        log.info("generated a development signing key pair", extra={"keys": what, "path": str(private.parent)})


def seed(settings: Settings) -> dict:
    seeded = {}
    for name in SERVICES:
        module = deploy_module(name)
        if module is not None and hasattr(module, "seed"):
            seeded.update(module.seed(settings))
    return seeded


def ensure_gateway_database(settings: Settings) -> None:
    """The gateway's own database: its rate-limit counters, shared by every replica."""
    from gateway import ratelimit

    if ensure_database(settings, ratelimit.DATABASE):
        log.info("created database", extra={"database": settings.database_name(ratelimit.DATABASE)})
    ratelimit.ensure_schema(f"{settings.postgres_url.rstrip('/')}/{settings.database_name(ratelimit.DATABASE)}")


def check(settings: Settings) -> None:
    """Refuse to deploy with what must not reach a real deployment (each
    service's `check(settings)`, e.g. identity's admin password), before
    anything is created."""
    for name in SERVICES:
        module = deploy_module(name)
        if module is not None and hasattr(module, "check"):
            module.check(settings)
    broker_users.check_passwords(settings, SERVICES)


def bootstrap(settings: Settings) -> dict:
    check(settings)
    ensure_keys(settings)
    for service in SERVICES:
        if ensure_database(settings, service):
            log.info("created database", extra={"database": settings.database_name(service)})
        migrations.upgrade(settings, service)
        db_roles.ensure_role(settings, service)
    ensure_gateway_database(settings)
    db_roles.ensure_role(settings, "gateway")  # its rate-limit counters, as its own role
    declared = topology.declare(settings.amqp_uri, settings.rabbitmq_management_url, settings.event_redelivery_limit,
                                settings.dead_letter_retention_days)
    log.info("declared topology", extra=declared)
    broker_users.ensure_platform_users(settings, SERVICES)
    broker_users.ensure_data_team_user(settings)
    seeded = seed(settings)
    log.info("seeded pilot data", extra=seeded)
    return seeded


if __name__ == "__main__":
    configure_logging(get_settings().log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    bootstrap(get_settings())
