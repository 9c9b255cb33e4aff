"""analytics' use cases: record every event, answer the pilot's figures,
rebuild the derived tables, and honour GDPR for the caller."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from services.analytics import kpis, projections
from services.analytics.facts import fact_of, subject_of
from services.analytics.privacy import PERSON_ID_FIELDS, random_pseudonym
from services.analytics.stream import build_message
from shared.api.analytics import KpiQuery
from shared.caller import Caller
from shared.contracts import Envelope, EventPayload
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.validation import parse

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
MAX_DAILY_DAYS = 92


# ---------------------------------------------------------------- ingestion


def _people_in(fact: dict) -> set[str]:
    found = {fact["actor"]} if fact["actor"] else set()
    for name, value in fact["payload"].items():
        if name in PERSON_ID_FIELDS and value is not None:
            found.update(value if isinstance(value, list) else [value])
    return found


def _unlink(fact: dict, erased: set[str] | frozenset[str]) -> dict:
    """The fact with each of `erased` (people erased before it arrived) as a
    fresh random pseudonym: a late event must not link back to them."""
    if not erased:
        return fact
    fresh = {p: random_pseudonym() for p in erased}

    def swap(value):
        if isinstance(value, list):
            return [fresh.get(v, v) for v in value]
        return fresh.get(value, value)

    payload = {k: swap(v) if k in PERSON_ID_FIELDS else v for k, v in fact["payload"].items()}
    return {**fact, "actor": swap(fact["actor"]), "payload": payload}


def record_event(uow, envelope: Envelope, event: EventPayload, pseudonym, now: datetime) -> dict | None:
    """Store the event as a fact, derive the KPI tables, and queue its stream
    message in the caller's transaction (the entrypoint commits it, with the
    inbox mark and the rest of its batch). Returns the stream message (None
    when the fact was stored before)."""
    fact = fact_of(envelope, event, pseudonym)
    erasure = envelope.event_type == "identity.user_erased"
    unchecked = set() if erasure else _people_in(fact)
    if fact["agency_code"] is None and subject_of(fact):
        # Placed in its subject's agency: unlinked first, so an erased member's agency is not looked up.
        fact = _unlink(fact, uow.erased.which(unchecked))
        unchecked = set()
        if subject := subject_of(fact):
            fact["agency_code"] = uow.derived.agency_of(subject)
    # Most events name nobody erased: the fact, its derived rows and its
    # stream message are written in one statement that checks it; only when
    # someone was, unlinked and written again.
    changes = projections.changes_of(fact)
    stored = uow.facts.store(fact, changes, unchecked, _message_before(uow, fact, changes, pseudonym, now))
    if stored.erased:
        fact = _unlink(fact, stored.erased)
        changes = projections.changes_of(fact)
        stored = uow.facts.store(fact, changes, message=_message_before(uow, fact, changes, pseudonym, now))
    if stored.recorded_at is None:
        return None
    message = stored.message
    if message is None:
        message = build_message(fact, uow.agencies.region_of(fact["agency_code"]), stored.recorded_at, pseudonym.thing)
        uow.stream.enqueue(message)
    if erasure:
        forget_person(uow, fact["payload"]["user_id"], envelope.event_id, now)
    return message


def _message_before(uow, fact: dict, changes, pseudonym, now: datetime) -> dict | None:
    """The stream message, made before its fact is written (its recorded
    time, `now` here, is the fact's once written); None when the fact
    changes the agency → region map: its message is made after, with the
    region as changed."""
    if any(change.table == "agencies" for change in changes):
        return None
    return build_message(fact, uow.agencies.region_of(fact["agency_code"]), now, pseudonym.thing)


def forget_person(uow, pseudonym: str, erasure_event_id: uuid.UUID, now: datetime) -> None:
    """GDPR erasure: the member's pseudonym becomes a random one everywhere
    (facts, derived tables, stream messages not sent yet), so figures keep
    counting them but nothing links back to them. The erasure's own stream
    message keeps the old pseudonym: it tells the data team whom to forget."""
    replacement = random_pseudonym()
    uow.erased.add(pseudonym, now)
    uow.facts.replace_person(pseudonym, replacement)
    uow.derived.replace_person(pseudonym, replacement)
    uow.stream.replace_person_in_unsent(pseudonym, replacement, erasure_event_id)


def rebuild(uow) -> int:
    """Empty the derived tables and derive them again from every stored fact,
    in one transaction (the live service uses services/analytics/rebuild.py:
    new tables built beside these, then swapped in)."""
    uow.derived.clear()
    count = replay(uow.derived, uow.facts.in_order())
    uow.commit()
    return count


def replay(derived, facts) -> int:
    """Apply facts to derived tables (any order, at least once: the merge
    rules of projections make the result the same); how many facts."""
    count = 0
    for fact in facts:
        for change in projections.changes_of(fact):
            derived.apply(change)
        count += 1
    return count


# ---------------------------------------------------------------- figures


def parse_query(data: dict | None, today: date, max_days: int) -> KpiQuery:
    try:
        query = parse(KpiQuery, {k: v for k, v in (data or {}).items() if v is not None})
    except ValidationFailed as exc:
        raise ValidationFailed([{"loc": ["query", *e["loc"][1:]], "msg": e["msg"]} for e in exc.errors]) from None
    to = query.to or today
    start = query.from_ or (to - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if start > to:
        raise ValidationFailed.single(["query", "from"], "La date de début doit précéder la date de fin.")
    if (to - start).days + 1 > max_days:
        raise ValidationFailed.single(["query", "from"], f"La période couvre au plus {max_days} jours.")
    return query.model_copy(update={"from_": start, "to": to})


def resolve_scope(caller: Caller, agency: str | None, region: str | None, regions: dict[str, str | None]):
    """(agency codes or None for the whole pilot, agency, region) the caller may read."""
    caller.require_role("advisor", "admin")
    if caller.role == "advisor":
        if not caller.agency_code:
            raise Forbidden("Aucune agence n'est rattachée à votre compte.")
        if region is not None or (agency is not None and agency != caller.agency_code):
            raise Forbidden("Un conseiller ne consulte que les chiffres de son agence.")
        return frozenset({caller.agency_code}), caller.agency_code, regions.get(caller.agency_code)
    if agency is not None:
        if agency not in regions:
            raise NotFound("Agence inconnue.")
        if region is not None and regions[agency] != region:
            raise ValidationFailed.single(["query", "region"], "Cette agence n'appartient pas à cette région.")
        return frozenset({agency}), agency, regions[agency]
    if region is not None:
        codes = frozenset(code for code, r in regions.items() if r == region)
        if not codes:
            raise NotFound("Région inconnue.")
        return codes, None, region
    return None, None, None


def _scope_view(agency, region, start: date, end: date) -> dict:
    return {"agency": agency, "region": region, "from": start.isoformat(), "to": end.isoformat()}


def kpis_for(uow, caller: Caller, data: dict | None, now: datetime) -> dict:
    query = parse_query(data, now.date(), MAX_PERIOD_DAYS)
    codes, agency, region = resolve_scope(caller, query.agency, query.region, uow.agencies.regions())
    start, _ = kpis.day_bounds(query.from_)
    _, end = kpis.day_bounds(query.to)
    figures = kpis.compute(uow.derived.dataset(since=start), codes, start, end, now)
    return {**_scope_view(agency, region, query.from_, query.to), **figures}


def daily_kpis_for(uow, caller: Caller, data: dict | None, now: datetime) -> dict:
    query = parse_query(data, now.date(), MAX_DAILY_DAYS)
    codes, agency, region = resolve_scope(caller, query.agency, query.region, uow.agencies.regions())
    start, _ = kpis.day_bounds(query.from_)
    rows = kpis.daily(uow.derived.dataset(since=start), codes, query.from_, query.to, now)
    return {**_scope_view(agency, region, query.from_, query.to), "items": rows, "next_cursor": None}


def kpis_per_agency(uow, now: datetime, window_days: int) -> dict[str, dict]:
    """The headline figures of every agency over the last `window_days` days (for Prometheus)."""
    first = now.date() - timedelta(days=window_days - 1)
    start, _ = kpis.day_bounds(first)
    data = uow.derived.dataset(since=start)
    return {code: kpis.compute(data, frozenset({code}), start, now, now) for code in uow.agencies.regions()}


def posts_per_agency(uow, caller: Caller) -> dict[str, int]:
    """Published posts per agency: advisors see their agency, admins all."""
    caller.require_role("advisor", "admin")
    if caller.role == "admin":
        return uow.derived.published_per_agency()
    if not caller.agency_code:
        raise Forbidden("Aucune agence n'est rattachée à votre compte.")
    return uow.derived.published_per_agency(caller.agency_code)


# ---------------------------------------------------------------- GDPR


def _json_safe(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def export_user_data(uow, caller: Caller, pseudonym) -> dict:
    """Everything analytics holds about the caller: their pseudonym and the
    facts naming it (no names, e-mails or texts are ever stored here)."""
    caller.require_user()
    mine = pseudonym(caller.id)
    facts = [
        {k: row[k] for k in ("event_id", "event_type", "version", "occurred_at", "recorded_at", "agency_code", "actor", "payload")}
        for row in uow.facts.about(mine)
    ]
    return _json_safe({"service": "analytics", "pseudonym": mine, "facts": facts})
