"""Pooled connections: an idle one is pinged and replaced when dead; one in
constant use is not pinged (a round trip per call saved, issue 17)."""
import time
import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shared.db.engine import drop_database, ensure_database, make_engine

pytestmark = pytest.mark.integration


@pytest.fixture
def database(base_settings):
    settings = base_settings.model_copy(update={"db_name_prefix": f"t{int(time.time())}{uuid.uuid4().hex[:6]}_"})
    ensure_database(settings, "pingtest")
    yield settings
    drop_database(settings, "pingtest")


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(settings, pid: int) -> None:
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.2)


def test_an_idle_dead_connection_is_replaced_without_an_error(database):
    engine = make_engine(database.database_url("pingtest"), pool_size=1, ping_after_idle=0.1)
    try:
        first = backend_pid(engine)
        terminate(database, first)  # a PostgreSQL restart, as the pooled connection sees it
        assert backend_pid(engine) != first
    finally:
        engine.dispose()


def test_a_connection_in_constant_use_is_not_pinged(database):
    engine = make_engine(database.database_url("pingtest"), pool_size=1, ping_after_idle=60)
    try:
        first = backend_pid(engine)
        terminate(database, first)
        # Back in the pool a moment ago: used as is, so the dead connection shows...
        with pytest.raises(OperationalError):
            backend_pid(engine)
        # ...once: the pool is invalidated and the next call gets a new connection.
        assert backend_pid(engine) != first
    finally:
        engine.dispose()


def test_a_statement_run_with_prepare_false_is_never_prepared(database):
    """psycopg prepares a statement on its fifth run (then PostgreSQL may
    plan it once for every value); `prepare=False` keeps one planned per run."""
    engine = make_engine(database.database_url("pingtest"), pool_size=1)
    try:
        with engine.connect() as conn:
            def prepared(statement: str) -> int:
                return conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements WHERE statement = %(s)s",
                                            {"s": statement}).scalar_one()

            kept, planned_each_time = "SELECT %(n)s::int + 1", "SELECT %(n)s::int + 2"
            for n in range(8):
                conn.exec_driver_sql(kept, {"n": n})
                conn.exec_driver_sql(planned_each_time, {"n": n}, {"prepare": False})
            assert prepared("SELECT $1::int + 1") == 1  # psycopg's default, which the option departs from
            assert prepared("SELECT $1::int + 2") == 0
    finally:
        engine.dispose()
