"""Prepare a fresh or existing installation; safe to run again.

`make up` and the compose `bootstrap` service run `python -m shared.bootstrap`:
dev signing keys when missing, one database per service, every service's
Alembic migrations, the RabbitMQ topology, and the pilot data (11 agencies in
4 regions, topics, the national admin). What exists is kept.
"""
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from shared.db import migrations
from shared.db.engine import ensure_database, make_engine
from shared.keys import write_key_pair
from shared.messaging import topology
from shared.observability.logging import configure as configure_logging
from shared.platform import SERVICES
from shared.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger("bootstrap")


def ensure_keys(settings: Settings) -> None:
    private, public = Path(settings.jwt_private_key_path), Path(settings.jwt_public_key_path)
    if private.exists() and public.exists():
        return
    if private.parent != public.parent:
        raise SystemExit("JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH are missing; provide both key files")
    write_key_pair(private.parent, private.name.removesuffix(".pem"))
    log.info("generated a development signing key pair", extra={"path": str(private.parent)})


def seed(settings: Settings) -> dict:
    # Imported here: the services' modules are not needed to create databases.
    from services.identity import handlers as identity
    from services.identity.passwords import Argon2Hasher
    from services.identity.repository import IdentityUnitOfWork
    from services.posts import handlers as posts
    from services.posts.repository import PostsUnitOfWork

    now = datetime.now(timezone.utc)
    agencies = json.loads((REPO_ROOT / "services/identity/data/pilot_agencies.json").read_text())
    topics = json.loads((REPO_ROOT / "services/posts/data/topics.json").read_text())["topics"]
    result = {}
    for service, uow_class, run in (
        ("identity", IdentityUnitOfWork, lambda uow: identity.seed(
            uow, agencies, settings.platform_admin_email, settings.platform_admin_password, Argon2Hasher(), now)),
        ("posts", PostsUnitOfWork, lambda uow: {"topics_added": posts.seed_topics(uow, topics)}),
    ):
        engine = make_engine(settings.database_url(service), pool_size=1)
        try:
            with uow_class(sessionmaker(engine)) as uow:
                result.update(run(uow))
        finally:
            engine.dispose()
    return result


def bootstrap(settings: Settings) -> dict:
    ensure_keys(settings)
    for service in SERVICES:
        if ensure_database(settings, service):
            log.info("created database", extra={"database": settings.database_name(service)})
        migrations.upgrade(settings, service)
    subscriptions = topology.declare(settings.amqp_uri, settings.rabbitmq_management_url, settings.event_max_deliveries)
    log.info("declared topology", extra={"event_queues": len(subscriptions)})
    from services.analytics.stream_topology import prepare as prepare_analytics_stream

    log.info("declared the analytics stream", extra={"queue": prepare_analytics_stream(settings.amqp_uri)})
    seeded = seed(settings)
    log.info("seeded pilot data", extra=seeded)
    return seeded


if __name__ == "__main__":
    configure_logging(get_settings().log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    bootstrap(get_settings())
