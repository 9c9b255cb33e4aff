"""One PostgreSQL role per service, allowed on its own database alone.

A service process connects as its role (`Settings.database_url`), named like
its database (`<DB_NAME_PREFIX><service>`): not a superuser, it may not
create databases or roles, and it may connect to its own database only (the
bootstrap revokes CONNECT from PUBLIC on each service database and grants it
to that service's role). Migrations and deploy steps run with the
bootstrap's own credentials (`POSTGRES_URL`), which own the schema, so a
service can read and write its tables but not alter them, nor disable the
triggers that keep moderation's audit log append-only.
"""
from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from shared.settings import Settings

log = logging.getLogger(__name__)


def ensure_role(settings: Settings, service: str) -> None:
    """Create (or update) the service's role and give it its database alone."""
    role = settings.database_role(service)
    database = settings.database_name(service)
    password = settings.db_passwords.get(service) or None
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        options = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD {}").format(
            sql.Literal(password)
        )
        conn.execute(sql.SQL(verb + " ROLE {} ").format(sql.Identifier(role)) + options)
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(role)))
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{database}", autocommit=True) as conn:
        grants = [
            # PostgreSQL 15's default already; said here for older servers.
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON SCHEMA public TO {role}",
            # Analytics empties its derived tables to rebuild them: TRUNCATE
            # too (the audit log's own trigger still refuses it).
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
            # Tables this (owner) user makes later, in any schema, too: the
            # analytics rebuild builds its tables in a schema of their own and
            # moves them into public (services/analytics/rebuild.py).
            "ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
        ]
        for grant in grants:
            conn.execute(sql.SQL(grant).format(role=sql.Identifier(role)))
    if verb == "CREATE":
        log.info("created database role", extra={"role": role, "database": database})


def drop_role(settings: Settings, service: str) -> None:
    """Drop the service's role (tests, once its database is gone)."""
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(settings.database_role(service))))
