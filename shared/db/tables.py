"""The outbox and inbox tables every service database holds.

Each service's first Alembic migration creates them with `create_messaging_tables`.
"""
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

messaging_metadata = MetaData()

outbox = Table(
    "outbox",
    messaging_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", String(120), nullable=False),
    Column("exchange", String(120), nullable=False),
    Column("routing_key", String(120), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
# The relay only ever reads unsent rows: keep that scan small however big the table grows.
Index("ix_outbox_unsent", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))

inbox = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_messaging_tables(op) -> None:
    """Create outbox and inbox from an Alembic migration (`op`)."""
    bind = op.get_bind()
    messaging_metadata.create_all(bind)


def drop_messaging_tables(op) -> None:
    messaging_metadata.drop_all(op.get_bind())
