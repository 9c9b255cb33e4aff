"""From facts to the derived tables the KPIs read. Pure functions, no I/O.

`changes_of(fact)` says which rows a fact adds or completes; `TABLES` says,
per derived table, its key and how a column merges with what is there:

- `first`: keep the value already there (coalesce), else take the new one;
- `min` / `max`: the earliest / latest time seen (nulls ignored);
- `latest:<column>`: take the new value when its `<column>` time is not
  older than the stored one (the last word wins, whatever the arrival order).

Every rule is independent of arrival order, so live consumption (events in
any order, at least once) and a rebuild from stored facts give the same
tables. repository.py applies changes with SQL upserts, the unit-test fake
with `merge_row` below.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.analytics.facts import parse_time


@dataclass(frozen=True)
class Change:
    table: str
    values: dict[str, Any]


# Namespace of the case_openings keys of held texts (one row per case, whatever its versions).
TEXT_CASES = uuid.UUID("5b0c1d52-7a8e-4f64-9a43-3c1f0e2d7b91")

TABLES: dict[str, dict[str, Any]] = {
    "agencies": {"key": ("code",), "columns": {"region": "latest:region_at", "region_at": "max"}},
    "members": {
        "key": ("person",),
        "columns": {"role": "first", "agency_code": "first", "registered_at": "min"},
    },
    "activities": {"key": ("event_id",), "columns": {"person": "first", "agency_code": "first", "at": "first"}},
    "posts": {
        "key": ("post_id",),
        "columns": {
            "author": "first", "agency_code": "first", "kind": "first",
            "created_at": "min", "first_published_at": "min", "removed_at": "max",
        },
    },
    "comments": {
        "key": ("comment_id",),
        "columns": {
            "post_id": "first", "author": "first", "author_role": "first", "agency_code": "first",
            "post_kind": "first", "post_author": "first", "created_at": "min", "published_at": "min",
        },
    },
    "interactions": {"key": ("event_id", "person"), "columns": {"peer": "first", "agency_code": "first", "at": "first"}},
    "calendar_events": {
        "key": ("calendar_event_id",),
        "columns": {"agency_code": "first", "capacity": "first", "starts_at": "first", "cancelled_at": "max"},
    },
    "registrations": {
        "key": ("registration_id",),
        "columns": {
            "calendar_event_id": "first", "person": "first", "agency_code": "first",
            "first_confirmed_at": "min", "last_confirmed_at": "max", "cancelled_at": "max",
        },
    },
    "attendances": {
        "key": ("calendar_event_id", "person"),
        "columns": {"agency_code": "first", "attended": "latest:recorded_at", "recorded_at": "max"},
    },
    "mentoring_matches": {
        "key": ("request_id",),
        "columns": {"agency_code": "first", "mentee": "first", "mentor": "first", "requested_at": "min", "accepted_at": "min"},
    },
    "case_openings": {
        "key": ("event_id",),
        "columns": {"case_id": "first", "agency_code": "first", "source": "first", "opened_at": "first"},
    },
    "case_decisions": {
        "key": ("event_id",),
        "columns": {
            "case_id": "first", "agency_code": "first", "source": "first", "action": "first",
            "opened_at": "first", "decided_at": "first",
        },
    },
    "screenings": {
        "key": ("event_id",),
        "columns": {"target_type": "first", "target_id": "first", "decision": "first", "screened_at": "first"},
    },
}

# Columns holding pseudonyms of people, re-keyed when a member is erased.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "members": ("person",),
    "activities": ("person",),
    "posts": ("author",),
    "comments": ("author", "post_author"),
    "interactions": ("person", "peer"),
    "registrations": ("person",),
    "attendances": ("person",),
    "mentoring_matches": ("mentee", "mentor"),
}

# Events whose actor was active on the platform (docs/kpis.md, "active").
ACTIVITY_TYPES = frozenset(
    {
        "posts.post_created",
        "posts.post_updated",
        "posts.comment_created",
        "posts.reaction_added",
        "posts.answer_accepted",
        "events.event_created",
        "events.registration_waitlisted",
        "mentoring.mentor_profile_created",
        "mentoring.request_created",
        "mentoring.request_accepted",
        "mentoring.request_declined",
        "mentoring.mentorship_ended",
        "moderation.appeal_filed",
    }
)


def _t(value) -> datetime | None:
    return parse_time(value)


def _activity(fact, at) -> list[Change]:
    if not fact["actor"]:
        return []
    return [Change("activities", {"event_id": fact["event_id"], "person": fact["actor"],
                                  "agency_code": fact["agency_code"], "at": at or fact["occurred_at"]})]


def _interaction(fact, a, b, at) -> list[Change]:
    if not a or not b or a == b:
        return []
    base = {"event_id": fact["event_id"], "agency_code": fact["agency_code"], "at": at}
    return [Change("interactions", {**base, "person": a, "peer": b}),
            Change("interactions", {**base, "person": b, "peer": a})]


def changes_of(fact: dict[str, Any]) -> list[Change]:
    p, kind, agency = fact["payload"], fact["event_type"], fact["agency_code"]
    changes: list[Change] = []
    if kind in ACTIVITY_TYPES:
        at = next((_t(p[k]) for k in ("created_at", "updated_at", "reacted_at", "accepted_at", "waitlisted_at",
                                       "declined_at", "ended_at", "filed_at") if p.get(k)), None)
        changes += _activity(fact, at)
    if kind == "events.registration_confirmed" and not p.get("promoted_from_waitlist"):
        changes += _activity(fact, _t(p.get("confirmed_at")))

    if kind == "identity.agency_created":
        changes.append(Change("agencies", {"code": p["code"], "region": p.get("region"), "region_at": fact["occurred_at"]}))
    elif kind == "identity.user_registered":
        changes.append(Change("members", {"person": p["user_id"], "role": p.get("role"), "agency_code": agency,
                                          "registered_at": _t(p.get("registered_at"))}))
    elif kind in ("posts.post_created", "posts.post_updated", "posts.post_published"):
        changes.append(Change("posts", {
            "post_id": p["post_id"], "author": p.get("author_id"), "agency_code": agency, "kind": p.get("kind"),
            "created_at": _t(p.get("created_at")), "first_published_at": _t(p.get("published_at")), "removed_at": None,
        }))
    elif kind == "posts.post_removed":
        changes.append(Change("posts", {"post_id": p["post_id"], "author": p.get("author_id"), "agency_code": agency,
                                        "kind": None, "created_at": None, "first_published_at": None,
                                        "removed_at": _t(p.get("removed_at"))}))
    elif kind in ("posts.comment_created", "posts.comment_published"):
        changes.append(Change("comments", {
            "comment_id": p["comment_id"], "post_id": p.get("post_id"), "author": p.get("author_id"),
            "author_role": p.get("author_role"), "agency_code": agency, "post_kind": p.get("post_kind"),
            "post_author": p.get("post_author_id"), "created_at": _t(p.get("created_at")),
            "published_at": _t(p.get("published_at")),
        }))
        if kind == "posts.comment_published":
            changes += _interaction(fact, p.get("author_id"), p.get("post_author_id"), _t(p.get("published_at")))
    elif kind == "posts.reaction_added":
        changes += _interaction(fact, p.get("user_id"), p.get("post_author_id"), _t(p.get("reacted_at")))
    elif kind == "posts.answer_accepted":
        changes += _interaction(fact, p.get("question_author_id"), p.get("answer_author_id"), _t(p.get("accepted_at")))
    elif kind == "events.event_created":
        changes.append(Change("calendar_events", {"calendar_event_id": p["calendar_event_id"], "agency_code": agency,
                                                  "capacity": p.get("capacity"), "starts_at": _t(p.get("starts_at")),
                                                  "cancelled_at": None}))
    elif kind == "events.event_cancelled":
        changes.append(Change("calendar_events", {"calendar_event_id": p["calendar_event_id"], "agency_code": agency,
                                                  "capacity": None, "starts_at": _t(p.get("starts_at")),
                                                  "cancelled_at": _t(p.get("cancelled_at"))}))
    elif kind in ("events.registration_confirmed", "events.registration_cancelled", "events.registration_waitlisted"):
        confirmed = _t(p.get("confirmed_at"))
        changes.append(Change("registrations", {
            "registration_id": p["registration_id"], "calendar_event_id": p.get("calendar_event_id"),
            "person": p.get("user_id"), "agency_code": agency, "first_confirmed_at": confirmed,
            "last_confirmed_at": confirmed, "cancelled_at": _t(p.get("cancelled_at")),
        }))
    elif kind == "events.attendance_recorded":
        changes.append(Change("attendances", {"calendar_event_id": p["calendar_event_id"], "person": p.get("user_id"),
                                              "agency_code": agency, "attended": p.get("attended"),
                                              "recorded_at": _t(p.get("recorded_at"))}))
    elif kind == "mentoring.request_accepted":
        changes.append(Change("mentoring_matches", {"request_id": p["request_id"], "agency_code": agency,
                                                    "mentee": p.get("mentee_id"), "mentor": p.get("mentor_user_id"),
                                                    "requested_at": _t(p.get("requested_at")),
                                                    "accepted_at": _t(p.get("accepted_at"))}))
        changes += _interaction(fact, p.get("mentee_id"), p.get("mentor_user_id"), _t(p.get("accepted_at")))
    elif kind == "moderation.case_opened":
        changes.append(Change("case_openings", {"event_id": fact["event_id"], "case_id": p.get("case_id"),
                                                "agency_code": agency, "source": p.get("source"),
                                                "opened_at": _t(p.get("opened_at"))}))
    elif kind == "moderation.case_decided":
        changes.append(Change("case_decisions", {"event_id": fact["event_id"], "case_id": p.get("case_id"),
                                                 "agency_code": agency, "source": p.get("source"),
                                                 "action": p.get("action"), "opened_at": _t(p.get("opened_at")),
                                                 "decided_at": _t(p.get("decided_at"))}))
    elif kind == "moderation.text_screened" and p.get("verdict") == "held" and p.get("case_id"):
        # A held profile, mentoring message or event text waits in a case (issue 13). One row per case: a
        # newer version held again updates the same case, so its key is made from the case id.
        changes.append(Change("case_openings", {"event_id": uuid.uuid5(TEXT_CASES, p["case_id"]),
                                                "case_id": p["case_id"], "agency_code": agency, "source": "screening",
                                                "opened_at": _t(p.get("screened_at"))}))
    elif kind == "moderation.text_decided":
        changes.append(Change("case_decisions", {"event_id": fact["event_id"], "case_id": p.get("case_id"),
                                                 "agency_code": agency, "source": "screening",
                                                 "action": {"published": "approve", "refused": "reject"}.get(p.get("verdict")),
                                                 "opened_at": _t(p.get("opened_at")),
                                                 "decided_at": _t(p.get("decided_at"))}))
    elif kind == "moderation.content_screened":
        changes.append(Change("screenings", {"event_id": fact["event_id"], "target_type": p.get("target_type"),
                                             "target_id": p.get("target_id"), "decision": p.get("decision"),
                                             "screened_at": _t(p.get("screened_at"))}))
    return changes


def merge_row(table: str, existing: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The row after applying `new` to `existing` (the reference of the SQL upsert)."""
    if existing is None:
        return dict(new)
    merged = dict(existing)
    for column, rule in TABLES[table]["columns"].items():
        old, value = existing.get(column), new.get(column)
        if rule == "first":
            merged[column] = old if old is not None else value
        elif rule in ("min", "max"):
            present = [v for v in (old, value) if v is not None]
            merged[column] = (min if rule == "min" else max)(present) if present else None
        elif rule.startswith("latest:"):
            clock = rule.split(":", 1)[1]
            old_t, new_t = existing.get(clock), new.get(clock)
            if value is not None and (old_t is None or (new_t is not None and new_t >= old_t)):
                merged[column] = value
    return merged
