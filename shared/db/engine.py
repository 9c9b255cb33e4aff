"""Engines and databases: one PostgreSQL database per service."""
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

from shared.settings import Settings, get_settings


def session_options(settings: Settings) -> str:
    """libpq `options` bounding every statement, lock wait and open
    transaction of a session (DB_*_TIMEOUT_* settings)."""
    return " ".join(
        f"-c {name}={value}"
        for name, value in (
            ("statement_timeout", settings.db_statement_timeout_ms),
            ("lock_timeout", settings.db_lock_timeout_ms),
            ("idle_in_transaction_session_timeout", settings.db_idle_in_transaction_timeout_ms),
        )
    )


def make_engine(url: str, pool_size: int = 10, settings: Settings | None = None) -> Engine:
    """A service's engine, its sessions bounded by the settings' timeouts
    (`settings`, by default the process's)."""
    settings = settings or get_settings()
    # pool_pre_ping: a service survives a PostgreSQL restart without a crash loop.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True,
        connect_args={"options": session_options(settings), "connect_timeout": settings.db_connect_timeout_seconds},
    )


def ensure_database(settings: Settings, service: str) -> bool:
    """Create the service's database if it does not exist. True when created."""
    name = settings.database_name(service)
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(settings: Settings, service: str) -> None:
    name = settings.database_name(service)
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def unit_of_work(settings: Settings, service: str, uow_class):
    """A service's unit of work outside nameko (deploy steps, tools), on a
    one-connection engine disposed of at the end."""
    engine = make_engine(settings.database_url(service), pool_size=1, settings=settings)
    try:
        with uow_class(sessionmaker(engine)) as uow:
            yield uow
    finally:
        engine.dispose()
