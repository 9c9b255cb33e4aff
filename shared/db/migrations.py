"""Alembic, one history per service (services/<name>/migrations).

Each service's migrations/env.py is two lines calling `run_env()`, so the
Alembic wiring is written once.
"""
from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, pool

from shared.settings import REPO_ROOT, Settings


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def upgrade(settings: Settings, service: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, settings.database_url(service)), revision)


def run_env() -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
