"""Each service's PostgreSQL role reaches its own database alone (issue 12,
item 8): posts' role reads and writes posts' tables, cannot connect to
identity's database, cannot change its schema nor make databases or roles."""
import psycopg
import pytest
from sqlalchemy import text

from shared.db.engine import make_engine

pytestmark = pytest.mark.integration


def connect_as(settings, role_of: str, database_of: str) -> psycopg.Connection:
    url = settings.service_database_url(role_of).replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url.rsplit("/", 1)[0] + "/" + settings.database_name(database_of), autocommit=True)


def test_a_service_role_works_in_its_own_database(platform):
    engine = make_engine(platform.service_database_url("posts"), pool_size=1)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == platform.database_role("posts")
            conn.execute(text("SELECT count(*) FROM outbox")).scalar()
    finally:
        engine.dispose()


def test_posts_role_cannot_connect_to_identity_database(platform):
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect_as(platform, "posts", "identity")


def test_no_service_role_reaches_another_service_database(platform):
    from stack.services import SERVICES

    parts = (*SERVICES, "gateway")  # the gateway's role: its rate-limit counters' database
    for role in parts:
        for database in parts:
            if database == role:
                connect_as(platform, role, database).close()
            else:
                with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                    connect_as(platform, role, database)


def test_a_service_role_cannot_change_its_schema_nor_make_databases_or_roles(platform):
    with connect_as(platform, "posts", "posts") as conn:
        for statement in ("DROP TABLE outbox", "CREATE TABLE intruder (id int)", "CREATE DATABASE intruder",
                          "CREATE ROLE intruder"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
