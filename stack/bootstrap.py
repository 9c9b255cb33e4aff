"""Prepare a fresh or existing installation; safe to run again.

`make up` and the compose `bootstrap` service run `python -m stack.bootstrap`:
dev signing and cursor keys when missing, one database per service, every service's
Alembic migrations, the RabbitMQ topology (stack/topology.py), and each
service's initial data (its `services/<name>/bootstrap.py`: the pilot's 11
agencies in 4 regions and the national admin, the topics). What exists is kept.
"""
import logging
from pathlib import Path

from shared.db import migrations
from shared.db.engine import ensure_database
from shared.keys import secret_key, write_key_pair
from shared.observability.logging import configure as configure_logging
from shared.settings import Settings, get_settings
from stack import topology
from stack.services import SERVICES, deploy_module

log = logging.getLogger("bootstrap")


def ensure_keys(settings: Settings) -> None:
    """The JWT key pair, and the cursor key when not given (CURSOR_KEY)."""
    secret_key(settings.cursor_key, settings.cursor_key_path, "CURSOR_KEY")
    private, public = Path(settings.jwt_private_key_path), Path(settings.jwt_public_key_path)
    if private.exists() and public.exists():
        return
    if private.parent != public.parent:
        raise SystemExit("JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH are missing; provide both key files")
    write_key_pair(private.parent, private.name.removesuffix(".pem"))
    log.info("generated a development signing key pair", extra={"path": str(private.parent)})


def seed(settings: Settings) -> dict:
    seeded = {}
    for name in SERVICES:
        module = deploy_module(name)
        if module is not None and hasattr(module, "seed"):
            seeded.update(module.seed(settings))
    return seeded


def bootstrap(settings: Settings) -> dict:
    ensure_keys(settings)
    for service in SERVICES:
        if ensure_database(settings, service):
            log.info("created database", extra={"database": settings.database_name(service)})
        migrations.upgrade(settings, service)
    declared = topology.declare(settings.amqp_uri, settings.rabbitmq_management_url, settings.event_redelivery_limit)
    log.info("declared topology", extra=declared)
    seeded = seed(settings)
    log.info("seeded pilot data", extra=seeded)
    return seeded


if __name__ == "__main__":
    configure_logging(get_settings().log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    bootstrap(get_settings())
