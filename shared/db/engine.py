"""Engines and databases: one PostgreSQL database per service."""
import time
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine, event, exc
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


# A connection back in the pool for longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, pool_size: int = 10, settings: Settings | None = None,
                ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    """A service's engine, its sessions bounded by the settings' timeouts
    (`settings`, by default the process's), idle connections pinged."""
    settings = settings or get_settings()
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, future=True,
        connect_args={"options": session_options(settings), "connect_timeout": settings.db_connect_timeout_seconds},
    )
    ping_idle_connections(engine, ping_after_idle)
    allow_unprepared_statements(engine)
    return engine


def allow_unprepared_statements(engine: Engine) -> None:
    """A statement run with the execution option `prepare=False` is never
    prepared: psycopg prepares a statement on its fifth run, and after five
    more PostgreSQL may keep one generic plan for it, planned without the
    values. Right for most statements (no planning per call); wrong where the
    best plan depends on a value: how many posts the searched words match
    decides between walking the newest posts and reading the text index,
    and a generic plan that guessed 0.5 % took 500 ms (issue 17)."""

    @event.listens_for(engine, "do_execute")
    def execute_unprepared(cursor, statement, parameters, context) -> bool | None:
        if context.execution_options.get("prepare", True):
            return None  # SQLAlchemy executes it as usual
        cursor.execute(statement, parameters, prepare=False)
        return True


def ping_idle_connections(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """A service survives a PostgreSQL restart without a crash loop: a pooled
    connection that sat idle is pinged when taken, and a dead one replaced
    (the pool retries the checkout with a new connection). Unlike
    `pool_pre_ping`, a connection in constant use is not pinged: under load
    that was one more round trip to PostgreSQL for every call (issue 17). A
    connection that dies while in use fails its statement; SQLAlchemy then
    invalidates the whole pool, so one call sees the error, not every one."""

    @event.listens_for(engine, "checkin")
    def remember_when(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or back in the pool a moment ago
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()  # psycopg opened a transaction for it: leave it idle
        except Exception as error:
            record.info.pop("idle_since", None)
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error


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
