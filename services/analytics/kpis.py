"""The pilot's KPIs, computed from the derived tables' rows. Pure functions.

docs/kpis.md defines each figure; the code follows it line by line. Rows are
plain dicts as the derived tables hold them (projections.TABLES). A scope is
a set of agency codes, or None for the whole pilot; a period is [start, end).
An empty denominator gives None (JSON null), never 0 or NaN.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

RATIO_DIGITS = 4
DURATION_DIGITS = 1
MEAN_DIGITS = 2
ANSWER_WINDOW = timedelta(hours=24)
RETENTION_AFTER = timedelta(days=30)

Rows = list[dict[str, Any]]


@dataclass
class Dataset:
    members: Rows = field(default_factory=list)
    activities: Rows = field(default_factory=list)
    posts: Rows = field(default_factory=list)
    comments: Rows = field(default_factory=list)
    interactions: Rows = field(default_factory=list)
    calendar_events: Rows = field(default_factory=list)
    registrations: Rows = field(default_factory=list)
    attendances: Rows = field(default_factory=list)
    mentoring_matches: Rows = field(default_factory=list)
    case_openings: Rows = field(default_factory=list)
    case_decisions: Rows = field(default_factory=list)
    screenings: Rows = field(default_factory=list)


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, RATIO_DIGITS)


def percentile(values: list[float], q: float, digits: int = DURATION_DIGITS) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, digits)


def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


class _Scope:
    def __init__(self, data: Dataset, agencies: frozenset[str] | None, start: datetime, end: datetime):
        self.data, self.agencies, self.start, self.end = data, agencies, start, end
        self.home = {m["person"]: m["agency_code"] for m in data.members}

    def agency_in(self, code: str | None) -> bool:
        return self.agencies is None or code in self.agencies

    def person_in(self, person: str | None, event_agency: str | None) -> bool:
        """A person counts in their home agency; one analytics never saw register, in the event's."""
        return self.agency_in(self.home.get(person, event_agency))

    def during(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


def compute(data: Dataset, agencies: frozenset[str] | None, start: datetime, end: datetime, now: datetime) -> dict:
    s = _Scope(data, agencies, start, end)
    return {
        "active_users": active_users(s),
        "new_members": len(new_members(s)),
        **post_figures(s),
        **member_figures(s, now),
        **event_figures(s),
        **mentoring_figures(s),
        "moderation": moderation_figures(s),
    }


def active_users(s: _Scope) -> int:
    return len({a["person"] for a in s.data.activities if s.during(a["at"]) and s.person_in(a["person"], a["agency_code"])})


def members_by(s: _Scope, before: datetime) -> list[dict]:
    """Job seekers of the scope registered before `before`."""
    return [
        m for m in s.data.members
        if m["role"] == "job_seeker" and s.agency_in(m["agency_code"])
        and m["registered_at"] is not None and m["registered_at"] < before
    ]


def new_members(s: _Scope) -> list[dict]:
    return [m for m in members_by(s, s.end) if m["registered_at"] >= s.start]


def post_figures(s: _Scope) -> dict:
    published = [p for p in s.data.posts if s.during(p["first_published_at"]) and s.agency_in(p["agency_code"])]
    questions = [p for p in published if p["kind"] == "question"]
    first_answer: dict[str, datetime] = {}
    by_post = {p["post_id"]: p for p in s.data.posts}
    for c in s.data.comments:
        post = by_post.get(c["post_id"])
        if c["published_at"] is None or post is None or c["author"] == post["author"]:
            continue
        if c["post_id"] not in first_answer or c["published_at"] < first_answer[c["post_id"]]:
            first_answer[c["post_id"]] = c["published_at"]
    waits = []
    for q in questions:
        if q["post_id"] in first_answer:
            asked = q["created_at"] or q["first_published_at"]
            waits.append(max(timedelta(0), first_answer[q["post_id"]] - asked))
    answers = [
        c for c in s.data.comments
        if c["post_kind"] == "question" and c["author"] != c["post_author"]
        and s.during(c["published_at"]) and s.agency_in(c["agency_code"])
    ]
    return {
        "posts": len(published),
        "questions": len(questions),
        "answered_question_ratio": ratio(len(waits), len(questions)),
        "answered_within_24h_ratio": ratio(sum(1 for w in waits if w <= ANSWER_WINDOW), len(questions)),
        "median_minutes_to_first_answer": percentile([minutes(w) for w in waits], 0.5),
        "p90_minutes_to_first_answer": percentile([minutes(w) for w in waits], 0.9),
        "peer_answer_ratio": ratio(sum(1 for c in answers if c["author_role"] == "job_seeker"), len(answers)),
    }


def member_figures(s: _Scope, now: datetime) -> dict:
    members = members_by(s, s.end)
    peers: dict[str, set[str]] = defaultdict(set)
    for i in s.data.interactions:
        if s.during(i["at"]):
            peers[i["person"]].add(i["peer"])
    cohort = [m for m in new_members(s) if m["registered_at"] + RETENTION_AFTER <= now]
    active_at: dict[str, list[datetime]] = defaultdict(list)
    for a in s.data.activities:
        active_at[a["person"]].append(a["at"])
    retained = [
        m for m in cohort
        if any(m["registered_at"] + RETENTION_AFTER <= at <= now for at in active_at[m["person"]])
    ]
    total_peers = sum(len(peers[m["person"]]) for m in members)
    return {
        "members_with_interaction_ratio": ratio(sum(1 for m in members if peers[m["person"]]), len(members)),
        "distinct_peers_per_member": None if not members else round(total_peers / len(members), MEAN_DIGITS),
        "retention_30d_ratio": ratio(len(retained), len(cohort)),
    }


def _confirmed_now(r: dict) -> bool:
    confirmed, cancelled = r["last_confirmed_at"], r["cancelled_at"]
    return confirmed is not None and (cancelled is None or confirmed > cancelled)


def event_figures(s: _Scope) -> dict:
    registrations = [r for r in s.data.registrations if s.during(r["first_confirmed_at"]) and s.agency_in(r["agency_code"])]
    held = [
        e for e in s.data.calendar_events
        if s.during(e["starts_at"]) and s.agency_in(e["agency_code"]) and e["cancelled_at"] is None and e["capacity"]
    ]
    seats: dict[str, int] = defaultdict(int)
    for r in s.data.registrations:
        if _confirmed_now(r):
            seats[r["calendar_event_id"]] += 1
    capacity = sum(e["capacity"] for e in held)
    filled = sum(min(seats[e["calendar_event_id"]], e["capacity"]) for e in held)
    starts = {e["calendar_event_id"]: e["starts_at"] for e in s.data.calendar_events}
    records = [
        a for a in s.data.attendances
        if a["attended"] is not None and s.agency_in(a["agency_code"])
        and s.during(starts.get(a["calendar_event_id"]) or a["recorded_at"])
    ]
    return {
        "event_registrations": len(registrations),
        "event_fill_rate": ratio(filled, capacity),
        "event_no_show_rate": ratio(sum(1 for a in records if not a["attended"]), len(records)),
    }


def mentoring_figures(s: _Scope) -> dict:
    matches = [m for m in s.data.mentoring_matches if s.during(m["accepted_at"]) and s.agency_in(m["agency_code"])]
    hours = [
        max(timedelta(0), m["accepted_at"] - m["requested_at"]).total_seconds() / 3600
        for m in matches if m["requested_at"] is not None
    ]
    return {"mentoring_matches": len(matches), "median_hours_to_mentoring_match": percentile(hours, 0.5)}


def moderation_figures(s: _Scope) -> dict:
    opened = [c for c in s.data.case_openings if s.during(c["opened_at"]) and s.agency_in(c["agency_code"])]
    decided = [c for c in s.data.case_decisions if s.during(c["decided_at"]) and s.agency_in(c["agency_code"])]
    waits = [minutes(max(timedelta(0), c["decided_at"] - c["opened_at"])) for c in decided if c["opened_at"]]
    content_agency = {p["post_id"]: p["agency_code"] for p in s.data.posts}
    content_agency.update({c["comment_id"]: c["agency_code"] for c in s.data.comments})
    screened = [
        x for x in s.data.screenings
        if s.during(x["screened_at"]) and s.agency_in(content_agency.get(x["target_id"]))
    ]
    appeals = [c for c in decided if c["source"] == "appeal"]
    return {
        "cases_opened": len(opened),
        "median_minutes_to_decision": percentile(waits, 0.5),
        "auto_held_ratio": ratio(sum(1 for x in screened if x["decision"] == "hold"), len(screened)),
        "appeals_overturned_ratio": ratio(sum(1 for c in appeals if c["action"] == "approve"), len(appeals)),
    }


def daily(data: Dataset, agencies: frozenset[str] | None, first: date, last: date, now: datetime) -> list[dict]:
    rows = []
    day = first
    while day <= last:
        start, end = day_bounds(day)
        rows.append({"date": day.isoformat(), **compute(data, agencies, start, end, now)})
        day += timedelta(days=1)
    return rows
