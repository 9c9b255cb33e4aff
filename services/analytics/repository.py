"""analytics' unit of work and data access."""
from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, and_, case, func, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert

from services.analytics import models
from services.analytics.kpis import Dataset
from services.analytics.projections import PERSON_COLUMNS, TABLES, Change, merge_row
from services.analytics.settings import STREAM_EXCHANGE
from shared.db.tables import outbox
from shared.db.unit_of_work import SqlUnitOfWork


# How long a process trusts its copy of the agency → region map (RegionCache).
REGION_CACHE_SECONDS = 10.0


class RegionCache:
    """The agency → region map, kept by a process for all its units of work.

    `agencies` is analytics' own projection of identity's agency events, and
    every handled event looks its agency's region up: one round trip per
    event for a table that changes a few times a year. The copy is dropped
    when this process writes an agency (AgencyRepository.written, then after
    the commit), and reloaded at most REGION_CACHE_SECONDS after it was
    loaded, so a write by another replica (or a rebuild's swap) is seen
    within that time. A TTL rather than a version check: any check is a
    round trip per event, which is what the lookup itself cost.
    """

    def __init__(self, ttl: float = REGION_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._regions: dict[str, str | None] | None = None
        self._loaded_at = 0.0
        self._generation = 0

    def get(self, load: Callable[[], dict[str, str | None]]) -> dict[str, str | None]:
        now = self.clock()
        if self._regions is None or now - self._loaded_at >= self.ttl:
            generation = self._generation
            regions = load()
            # A write committed while this load ran (another greenlet) may be missing from it: not kept then.
            if generation != self._generation:
                return regions
            self._regions, self._loaded_at = regions, now
        return self._regions

    def forget(self) -> None:
        self._regions = None
        self._generation += 1


REGIONS = RegionCache()


class AnalyticsUnitOfWork(SqlUnitOfWork):
    regions = REGIONS  # the process's; a test may give a unit of work its own before entering it

    def _start(self):
        self.agencies = AgencyRepository(self.session, self.regions)
        self.erased = ErasedRepository(self.session)
        self.stream = StreamOutbox(self.session)
        self.facts = FactRepository(self.session, self.agencies, self.stream)
        self.derived = DerivedRepository(self.session, self.agencies)

    def commit(self) -> None:
        queued = self.stream.queued
        super().commit()
        self.stream.queued = 0
        if self.agencies.wrote:
            # Lookups of other workers may have cached the map as it was before this commit.
            self.agencies.wrote = False
            self.regions.forget()
        if queued and self._on_commit:
            self._on_commit()  # wake the relay: stream messages leave now


def digest(pseudonym: str) -> str:
    return hashlib.sha256(pseudonym.encode()).hexdigest()


class Stored(NamedTuple):
    """What FactRepository.store did: `recorded_at` None when nothing was
    written, because the fact was stored before or because `erased` (people
    of `unless_erased` who were erased) is not empty. `message`: the stream
    message as queued, with its recorded time."""

    recorded_at: datetime | None
    erased: frozenset[str] = frozenset()
    message: dict[str, Any] | None = None


FACT_COLUMNS = ("event_id", "event_type", "version", "producer", "occurred_at", "agency_code", "actor", "payload")


class FactRepository:
    def __init__(self, session, agencies: AgencyRepository | None = None, stream: StreamOutbox | None = None):
        self.session = session
        self.agencies = agencies
        self.stream = stream

    def store(self, fact: dict[str, Any], changes: Iterable[Change] = (), unless_erased: Iterable[str] = (),
              message: dict[str, Any] | None = None) -> Stored:
        """Store a fact once with its changes to the derived tables and its
        stream `message` (its `recorded_at` replaced by the fact's), unless
        someone of `unless_erased` was erased: one statement (store_sql), one
        round trip, where the erasure check, the fact, each derived upsert and
        the outbox row were one each (issue 17). Nothing but a new fact
        writes its changes and message."""
        by_digest = {digest(p): p for p in unless_erased}
        groups = _rows_by_table(changes)
        shape = tuple((name, tuple(rows[0]), len(rows)) for name, rows in groups.items())
        params = {f"f_{c}": fact[c] for c in FACT_COLUMNS}
        params["f_payload"] = json.dumps(fact["payload"])
        if by_digest:
            params["digests"] = list(by_digest)
        for i, (_, columns, _) in enumerate(shape):
            for j, row in enumerate(groups[shape[i][0]]):
                params.update({f"d{i}_{j}_{column}": row.get(column) for column in columns})
        if message is not None:
            params.update(StreamOutbox.params(message))
        sql = store_sql(bool(by_digest), shape, message is not None)
        recorded_at, erased, recorded_text = self.session.connection().exec_driver_sql(sql, params).one()
        if recorded_at is None:
            return Stored(None, frozenset(by_digest[d] for d in erased or ()))
        if "agencies" in groups and self.agencies is not None:
            self.agencies.written()
        if message is not None:
            self.stream.queued += 1
            message = {**message, "recorded_at": recorded_text}
        return Stored(recorded_at, frozenset(), message)

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


def _rows_by_table(changes: Iterable[Change]) -> dict[str, list[dict[str, Any]]]:
    """Changes grouped per table, in order; two changes of one row merged as
    the upserts would merge them (one INSERT may not touch a row twice)."""
    groups: dict[str, dict[tuple, dict[str, Any]]] = {}
    for change in changes:
        rows = groups.setdefault(change.table, {})
        key = tuple(change.values[k] for k in TABLES[change.table]["key"])
        rows[key] = merge_row(change.table, rows.get(key), change.values)
    return {name: list(rows.values()) for name, rows in groups.items()}


_DIALECT = postgresql.dialect()


def _cast(param: str, column) -> str:
    # Typed: a parameter in a SELECT list or a VALUES list is not typed by its target column.
    return f"CAST(%({param})s AS {column.type.compile(dialect=_DIALECT)})"


def _merge_sql(table_name: str) -> str:
    """The SET clause of an upsert: the merge rules of projections.TABLES (as upsert_statement)."""
    sets = []
    for column, rule in TABLES[table_name]["columns"].items():
        current, new = f"{table_name}.{column}", f"excluded.{column}"
        if rule == "first":
            value = f"coalesce({current}, {new})"
        elif rule == "min":
            value = f"least({current}, {new})"
        elif rule == "max":
            value = f"greatest({current}, {new})"
        else:
            clock = rule.split(":", 1)[1]
            value = (f"CASE WHEN {new} IS NOT NULL AND ({table_name}.{clock} IS NULL OR excluded.{clock} >= "
                     f"{table_name}.{clock}) THEN {new} ELSE {current} END")
        sets.append(f"{column} = {value}")
    return ", ".join(sets)


# A fact's recorded_at as pydantic writes a UTC time in JSON (stream.build_message):
# microseconds only when not 0, "Z" for UTC.
RECORDED_AT_JSON = (
    "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
    "date_part('microseconds', recorded_at)::bigint %% 1000000 = 0 THEN '' "
    "ELSE to_char(recorded_at AT TIME ZONE 'UTC', '.US') END || 'Z'"
)


@functools.cache
def store_sql(guarded: bool, shape: tuple[tuple[str, tuple[str, ...], int], ...], streamed: bool = False) -> str:
    """FactRepository.store's statement for a shape of changes ((table,
    columns, rows) per table): SQL text made once per shape, so each call
    costs neither building nor compiling a statement, and psycopg prepares
    it on the server after a few calls. It answers (recorded_at, digests of
    the erased found, recorded_at as in the stream message): recorded_at is
    null when the fact was there before or someone was erased, and then no
    derived row or outbox row is written either. The message's recorded_at
    is set here: the fact's time is the transaction's, known only to the
    database before the fact is written (it used to take a second statement)."""
    ctes = []
    guard = ""
    erased = "NULL::text[]"
    if guarded:
        ctes.append("erased AS (SELECT array_agg(digest) AS found FROM erased_persons WHERE digest = ANY(%(digests)s))")
        guard = " WHERE (SELECT found FROM erased) IS NULL"
        erased = "(SELECT found FROM erased)"
    values = ", ".join(_cast(f"f_{c}", models.facts.c[c]) for c in FACT_COLUMNS)
    ctes.append(f"fact AS (INSERT INTO facts ({', '.join(FACT_COLUMNS)}) SELECT {values}{guard} "
                f"ON CONFLICT (event_id) DO NOTHING RETURNING recorded_at, {RECORDED_AT_JSON} AS recorded_text)")
    for i, (name, columns, count) in enumerate(shape):
        table = models.TABLES[name]
        rows = ", ".join(
            "(" + ", ".join(_cast(f"d{i}_{j}_{c}", table.c[c]) for c in columns) + ")" for j in range(count)
        )
        names = ", ".join(columns)
        ctes.append(
            f"d{i} AS (INSERT INTO {name} ({names}) SELECT * FROM (VALUES {rows}) AS v ({names}) "
            f"WHERE EXISTS (SELECT FROM fact) "
            f"ON CONFLICT ({', '.join(TABLES[name]['key'])}) DO UPDATE SET {_merge_sql(name)})"
        )
    if streamed:
        columns = ", ".join(StreamOutbox.COLUMNS)
        values = ", ".join(_cast(c, outbox.c[c]) for c in StreamOutbox.COLUMNS[:-1])
        envelope = "jsonb_set(CAST(%(envelope)s AS JSONB), '{recorded_at}', to_jsonb(fact.recorded_text))"
        ctes.append(f"stream AS (INSERT INTO outbox ({columns}) SELECT {values}, {envelope} FROM fact)")
    return f"WITH {', '.join(ctes)} SELECT (SELECT recorded_at FROM fact), {erased}, (SELECT recorded_text FROM fact)"


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
    def __init__(self, session, agencies: AgencyRepository | None = None):
        self.session = session
        self.agencies = agencies

    def apply(self, change: Change) -> None:
        self.session.execute(upsert_statement(change.table, change.values))
        if change.table == "agencies" and self.agencies is not None:
            self.agencies.written()

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
    def __init__(self, session, cache: RegionCache | None = None):
        self.session = session
        self.cache = cache
        self.wrote = False  # this transaction wrote agencies

    def written(self) -> None:
        """This transaction wrote an agency: its lookups read the table (the
        change is not committed, so not for the cache), and the process's
        copy is dropped now and after the commit."""
        self.wrote = True
        if self.cache is not None:
            self.cache.forget()

    def region_of(self, code: str | None) -> str | None:
        if code is None:
            return None
        if self.cache is not None and not self.wrote:
            return self.cache.get(self.regions).get(code)
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

    COLUMNS = ("event_id", "event_type", "exchange", "routing_key", "envelope")
    # SQL text made once: a statement built and compiled for each message cost more CPU than its round trip.
    INSERT = f"INSERT INTO outbox ({', '.join(COLUMNS)}) VALUES ({', '.join(_cast(c, outbox.c[c]) for c in COLUMNS)})"

    @staticmethod
    def params(message: dict[str, Any]) -> dict[str, Any]:
        return {
            "event_id": message["event_id"],
            "event_type": message["event_type"],
            "exchange": STREAM_EXCHANGE,
            "routing_key": message["event_type"],
            "envelope": json.dumps(message),
        }

    def enqueue(self, message: dict[str, Any]) -> None:
        self.session.connection().exec_driver_sql(self.INSERT, self.params(message))
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
