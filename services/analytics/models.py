"""analytics' tables: the facts (every consumed event, without personal data)
and the tables derived from them (projections.py), never copied from other
services' databases. `DERIVED` lists what `python -m services.analytics.rebuild`
empties and re-derives from the facts."""
from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()


def _time(name: str, **kw) -> Column:
    return Column(name, DateTime(timezone=True), **kw)


def _person(name: str, **kw) -> Column:
    return Column(name, String(40), **kw)


def _id(name: str, **kw) -> Column:
    return Column(name, String(64), **kw)


def _agency(**kw) -> Column:
    return Column("agency_code", String(40), index=True, **kw)


facts = Table(
    "facts", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", String(120), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("producer", String(60), nullable=False),
    _time("occurred_at", nullable=False),
    _time("recorded_at", nullable=False, server_default=func.now()),
    Column("agency_code", String(40)),
    _person("actor", index=True),
    Column("payload", JSONB, nullable=False),
)

# Pseudonyms of erased members, hashed (sha256): a late event about them gets a fresh random pseudonym.
erased_persons = Table(
    "erased_persons", metadata,
    Column("digest", String(64), primary_key=True),
    _time("erased_at", nullable=False),
)

agencies = Table(
    "agencies", metadata,
    Column("code", String(40), primary_key=True),
    Column("region", String(100)),
    _time("region_at"),
)

members = Table(
    "members", metadata,
    _person("person", primary_key=True),
    Column("role", String(20)),
    _agency(),
    _time("registered_at"),
)

activities = Table(
    "activities", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    _person("person", index=True),
    _agency(),
    _time("at", index=True),
)

posts = Table(
    "posts", metadata,
    _id("post_id", primary_key=True),
    _person("author"),
    _agency(),
    Column("kind", String(20)),
    _time("created_at"),
    _time("first_published_at", index=True),
    _time("removed_at"),
)

comments = Table(
    "comments", metadata,
    _id("comment_id", primary_key=True),
    _id("post_id", index=True),
    _person("author"),
    Column("author_role", String(20)),
    _agency(),
    Column("post_kind", String(20)),
    _person("post_author"),
    _time("created_at"),
    _time("published_at"),
)

interactions = Table(
    "interactions", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    _person("person", primary_key=True),
    _person("peer"),
    _agency(),
    _time("at", index=True),
)

calendar_events = Table(
    "calendar_events", metadata,
    _id("calendar_event_id", primary_key=True),
    _agency(),
    Column("capacity", Integer),
    _time("starts_at", index=True),
    _time("cancelled_at"),
)

registrations = Table(
    "registrations", metadata,
    _id("registration_id", primary_key=True),
    _id("calendar_event_id", index=True),
    _person("person"),
    _agency(),
    _time("first_confirmed_at"),
    _time("last_confirmed_at"),
    _time("cancelled_at"),
)

attendances = Table(
    "attendances", metadata,
    _id("calendar_event_id", primary_key=True),
    _person("person", primary_key=True),
    _agency(),
    Column("attended", Boolean),
    _time("recorded_at"),
)

mentoring_matches = Table(
    "mentoring_matches", metadata,
    _id("request_id", primary_key=True),
    _agency(),
    _person("mentee"),
    _person("mentor"),
    _time("requested_at"),
    _time("accepted_at", index=True),
)

case_openings = Table(
    "case_openings", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    _id("case_id"),
    _agency(),
    Column("source", String(20)),
    _time("opened_at", index=True),
)

case_decisions = Table(
    "case_decisions", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    _id("case_id"),
    _agency(),
    Column("source", String(20)),
    Column("action", String(20)),
    _time("opened_at"),
    _time("decided_at", index=True),
)

screenings = Table(
    "screenings", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("target_type", String(20)),
    _id("target_id", index=True),
    Column("decision", String(20)),
    _time("screened_at", index=True),
)

Index("ix_facts_occurred_id", facts.c.occurred_at, facts.c.id)

TABLES = {t.name: t for t in metadata.sorted_tables}
# Agencies are seeded from the pilot file as well as derived: a rebuild keeps the seed.
DERIVED = (
    "members", "activities", "posts", "comments", "interactions", "calendar_events", "registrations",
    "attendances", "mentoring_matches", "case_openings", "case_decisions", "screenings",
)
