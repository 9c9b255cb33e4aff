"""Engines and databases: one PostgreSQL database per service."""
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

from shared.settings import Settings


def make_engine(url: str, pool_size: int = 10) -> Engine:
    # pool_pre_ping: a service survives a PostgreSQL restart without a crash loop.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True)


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
    engine = make_engine(settings.database_url(service), pool_size=1)
    try:
        with uow_class(sessionmaker(engine)) as uow:
            yield uow
    finally:
        engine.dispose()
