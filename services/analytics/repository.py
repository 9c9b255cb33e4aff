"""analytics' unit of work and data access."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.analytics import models
from services.analytics.kpis import Dataset
from services.analytics.projections import PERSON_COLUMNS, TABLES, Change
from services.analytics.settings import STREAM_EXCHANGE
from shared.db.tables import outbox
from shared.db.unit_of_work import SqlUnitOfWork


class AnalyticsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.facts = FactRepository(self.session)
        self.derived = DerivedRepository(self.session)
        self.agencies = AgencyRepository(self.session)
        self.erased = ErasedRepository(self.session)
        self.stream = StreamOutbox(self.session)

    def commit(self) -> None:
        queued = self.stream.queued
        super().commit()
        self.stream.queued = 0
        if queued and self._on_commit:
            self._on_commit()  # wake the relay: stream messages leave now


def digest(pseudonym: str) -> str:
    return hashlib.sha256(pseudonym.encode()).hexdigest()


class FactRepository:
    def __init__(self, session):
        self.session = session

    def add(self, fact: dict[str, Any]) -> datetime | None:
        """Store a fact once; returns its recorded time, None if it was stored before."""
        row = self.session.execute(
            insert(models.facts).values(**fact).on_conflict_do_nothing(index_elements=["event_id"])
            .returning(models.facts.c.recorded_at)
        ).first()
        return row.recorded_at if row else None

    def in_order(self, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every fact, oldest first (keyset pagination: constant memory)."""
        last_id = 0
        columns = [c for c in models.facts.c if c.name != "recorded_at"]
        while True:
            rows = self.session.execute(
                select(*columns).where(models.facts.c.id > last_id).order_by(models.facts.c.id).limit(batch_size)
            ).mappings().all()
            if not rows:
                return
            for row in rows:
                yield dict(row)
            last_id = rows[-1]["id"]

    def about(self, pseudonym: str) -> list[dict[str, Any]]:
        """Facts naming a person (as actor or in the payload), oldest first."""
        f = models.facts
        naming = or_(f.c.actor == pseudonym, func.strpos(f.c.payload.cast(Text), pseudonym) > 0)
        return [dict(r) for r in self.session.execute(select(f).where(naming).order_by(f.c.id)).mappings()]

    def replace_person(self, old: str, new: str) -> int:
        """Re-key a person's pseudonym everywhere in the facts."""
        result = self.session.execute(
            text(
                "UPDATE facts SET actor = CASE WHEN actor = :old THEN :new ELSE actor END, "
                "payload = replace(payload::text, :old, :new)::jsonb "
                "WHERE actor = :old OR strpos(payload::text, :old) > 0"
            ),
            {"old": old, "new": new},
        )
        return result.rowcount

    def count(self) -> int:
        return self.session.execute(select(func.count()).select_from(models.facts)).scalar_one()


def upsert_statement(table_name: str, values: dict[str, Any]):
    """INSERT ... ON CONFLICT DO UPDATE with the merge rules of projections.TABLES."""
    table = models.TABLES[table_name]
    spec = TABLES[table_name]
    stmt = insert(table).values(**values)
    excluded, current = stmt.excluded, table.c
    sets = {}
    for column, rule in spec["columns"].items():
        if rule == "first":
            sets[column] = func.coalesce(current[column], excluded[column])
        elif rule == "min":
            sets[column] = func.least(current[column], excluded[column])
        elif rule == "max":
            sets[column] = func.greatest(current[column], excluded[column])
        elif rule.startswith("latest:"):
            clock = rule.split(":", 1)[1]
            newer = and_(
                excluded[column].is_not(None),
                or_(current[clock].is_(None), excluded[clock] >= current[clock]),
            )
            sets[column] = case((newer, excluded[column]), else_=current[column])
    return stmt.on_conflict_do_update(index_elements=list(spec["key"]), set_=sets)


class DerivedRepository:
    def __init__(self, session):
        self.session = session

    def apply(self, change: Change) -> None:
        self.session.execute(upsert_statement(change.table, change.values))

    def clear(self) -> None:
        self.session.execute(text("TRUNCATE " + ", ".join(models.DERIVED)))

    def agency_of(self, person: str) -> str | None:
        return self.session.execute(
            select(models.members.c.agency_code).where(models.members.c.person == person)
        ).scalar_one_or_none()

    def replace_person(self, old: str, new: str) -> None:
        for table_name, columns in PERSON_COLUMNS.items():
            table = models.TABLES[table_name]
            for column in columns:
                self.session.execute(update(table).where(table.c[column] == old).values({column: new}))

    def dataset(self, since: datetime | None = None) -> Dataset:
        """The rows the KPIs read; timed rows from `since` on (None: all).

        Members, posts, comments, calendar events and registrations are read
        whole: figures of a period look up earlier rows (a question's answers,
        an event's seats, a member's home agency)."""
        def rows(table, time_column=None):
            query = select(table)
            if since is not None and time_column is not None:
                query = query.where(table.c[time_column] >= since)
            return [dict(r) for r in self.session.execute(query).mappings()]

        return Dataset(
            members=rows(models.members),
            activities=rows(models.activities, "at"),
            posts=rows(models.posts),
            comments=rows(models.comments),
            interactions=rows(models.interactions, "at"),
            calendar_events=rows(models.calendar_events),
            registrations=rows(models.registrations),
            attendances=rows(models.attendances),
            mentoring_matches=rows(models.mentoring_matches, "accepted_at"),
            case_openings=rows(models.case_openings, "opened_at"),
            case_decisions=rows(models.case_decisions, "decided_at"),
            screenings=rows(models.screenings, "screened_at"),
        )

    def published_per_agency(self, agency_code: str | None = None) -> dict[str, int]:
        p = models.posts
        query = select(p.c.agency_code, func.count()).where(p.c.first_published_at.is_not(None)).group_by(p.c.agency_code)
        if agency_code is not None:
            query = query.where(p.c.agency_code == agency_code)
        return {code or "": count for code, count in self.session.execute(query)}


class AgencyRepository:
    def __init__(self, session):
        self.session = session

    def region_of(self, code: str | None) -> str | None:
        if code is None:
            return None
        return self.session.execute(
            select(models.agencies.c.region).where(models.agencies.c.code == code)
        ).scalar_one_or_none()

    def regions(self) -> dict[str, str | None]:
        """agency code → region."""
        return dict(self.session.execute(select(models.agencies.c.code, models.agencies.c.region)).all())


class ErasedRepository:
    def __init__(self, session):
        self.session = session

    def add(self, pseudonym: str, at: datetime) -> None:
        self.session.execute(
            insert(models.erased_persons).values(digest=digest(pseudonym), erased_at=at).on_conflict_do_nothing()
        )

    def which(self, pseudonyms: set[str]) -> set[str]:
        if not pseudonyms:
            return set()
        by_digest = {digest(p): p for p in pseudonyms}
        found = self.session.execute(
            select(models.erased_persons.c.digest).where(models.erased_persons.c.digest.in_(list(by_digest)))
        ).scalars()
        return {by_digest[d] for d in found}


class StreamOutbox:
    """Stream messages go out through analytics' own outbox, committed with the fact."""

    def __init__(self, session):
        self.session = session
        self.queued = 0

    def enqueue(self, message: dict[str, Any]) -> None:
        self.session.execute(
            outbox.insert().values(
                event_id=message["event_id"],
                event_type=message["event_type"],
                exchange=STREAM_EXCHANGE,
                routing_key=message["event_type"],
                envelope=message,
            )
        )
        self.queued += 1

    def replace_person_in_unsent(self, old: str, new: str, keep_event_id) -> None:
        """Re-key a person in messages not sent yet, except `keep_event_id` (the erasure itself)."""
        self.session.execute(
            text(
                "UPDATE outbox SET envelope = replace(envelope::text, :old, :new)::jsonb "
                "WHERE published_at IS NULL AND event_id <> :keep AND strpos(envelope::text, :old) > 0"
            ),
            {"old": old, "new": new, "keep": keep_event_id},
        )
