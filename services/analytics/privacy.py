"""What of an event analytics may keep, and the pseudonyms of people.

Every field of every event contract is classified here, by name:

- `PERSON_ID_FIELDS`: ids of people, replaced by a keyed pseudonym
  (HMAC-SHA256 with the platform's pseudonym key; the key never leaves the
  platform, so nobody outside can recompute or reverse a pseudonym);
- `KEPT_FIELDS` (and every timestamp, a name ending in `_at`, `at`, `until`):
  ids of things, codes, kinds, flags, counts and times, kept as they are in
  analytics' own tables; on the stream, the ids of things (`THING_ID_FIELDS`)
  are keyed too (`Pseudonymizer.thing`): a raw post id on the stream could be
  looked up through the public API (GET /v1/posts/{id} names its author) and
  put a name on a pseudonym;
- everything else is dropped: free texts, names, e-mails, links, session ids
  (`DROPPED_FIELDS` lists the known ones; an unknown field is dropped too,
  and tests/unit/services/test_analytics_privacy.py fails until it is
  classified here).

Pure functions: no I/O.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

PSEUDONYM_PREFIX = "p_"
PSEUDONYM_PATTERN = r"^p_[0-9a-f]{32}$"
THING_KEY_PREFIX = "k_"
THING_KEY_PATTERN = r"^k_[0-9a-f]{32}$"

PERSON_ID_FIELDS = frozenset(
    {
        "user_id",
        "author_id",
        "post_author_id",
        "question_author_id",
        "answer_author_id",
        "accepted_by",
        "organizer_id",
        "registrant_ids",
        "cancelled_by",
        "mentor_user_id",
        "mentee_id",
        "mentor_id",
        "target_author_id",
        "decided_by",
        "reporter_id",
        "imposed_by",
        "appellant_id",
        "removed_by",
        "pinned_by",
        "ended_by",
        "lifted_by",
        "hidden_by",
    }
)

KEPT_FIELDS = frozenset(
    {
        # ids of things (never of people)
        "post_id",
        "comment_id",
        "case_id",
        "calendar_event_id",
        "registration_id",
        "request_id",
        "sanction_id",
        "report_id",
        "notification_id",
        "target_id",
        # where
        "agency_code",
        "code",
        "region",
        # what
        "kind",
        "post_kind",
        "topics",
        "type",
        "status",
        "decision",
        "reasons",
        "source",
        "action",
        "target_type",
        "role",
        "author_role",
        "organizer_role",
        # flags and figures
        "pinned",
        "promoted_from_waitlist",
        "was_confirmed",
        "attended",
        "early",
        "validated_by_advisor",
        "capacity",
        "position",
        "text_version",  # which submission of a screened text a verdict is about
        "verdict",
    }
)

# Ids of things: kept in analytics' tables, keyed on the stream (stream_version 2).
THING_ID_FIELDS = frozenset(
    {
        "post_id",
        "comment_id",
        "case_id",
        "calendar_event_id",
        "registration_id",
        "request_id",
        "sanction_id",
        "report_id",
        "notification_id",
        "target_id",
    }
)
assert THING_ID_FIELDS <= KEPT_FIELDS

# Known personal or free-text fields: never stored by analytics, never streamed.
DROPPED_FIELDS = frozenset(
    {
        "email",
        "display_name",
        "name",
        "title",
        "post_title",
        "body",
        "message",
        "text",
        "bio",
        "reason",
        "detail",
        "description",
        "location",
        "online_url",
        "video_url",
        "link",
        "excerpt",
        "session_id",
        "organization",
        "member_version",  # orders copies of members; nothing to measure
    }
)

# Who did it, per event type; types not listed use the first of DEFAULT_ACTOR_FIELDS present.
ACTOR_FIELDS: dict[str, str | None] = {
    "identity.agency_created": None,
    "posts.post_removed": "removed_by",
    "posts.answer_accepted": "accepted_by",
    "posts.post_pinned": "pinned_by",
    "posts.post_hidden": None,
    "posts.comment_hidden": None,
    "posts.post_held": None,
    "posts.post_rejected": None,
    "posts.comment_held": None,
    "posts.comment_rejected": None,
    "moderation.content_screened": None,
    "moderation.case_opened": None,
    "moderation.case_decided": "decided_by",
    "moderation.target_hidden": None,
    "moderation.report_resolved": None,
    "moderation.sanction_imposed": "imposed_by",
    "moderation.sanction_lifted": None,
    "moderation.appeal_filed": "appellant_id",
    "moderation.question_unanswered": None,
    "moderation.text_screened": None,
    "moderation.text_decided": "decided_by",
    "events.event_created": "organizer_id",
    "events.texts_submitted": "organizer_id",
    "events.event_cancelled": "cancelled_by",
    "events.reminder_due": None,
    "mentoring.request_created": "mentee_id",
    "mentoring.message_submitted": "mentee_id",
    "mentoring.request_accepted": "mentor_user_id",
    "mentoring.request_declined": "mentor_user_id",
    "mentoring.mentorship_ended": "ended_by",
    "notifications.notification_created": None,
}
DEFAULT_ACTOR_FIELDS = ("user_id", "author_id")


def is_time_field(name: str) -> bool:
    return name.endswith("_at") or name in {"at", "until"}


def classify(name: str) -> str:
    """`person`, `kept` or `dropped` (unknown fields are dropped)."""
    if name in PERSON_ID_FIELDS:
        return "person"
    if name in KEPT_FIELDS or is_time_field(name):
        return "kept"
    return "dropped"


def is_classified(name: str) -> bool:
    return name in PERSON_ID_FIELDS or name in KEPT_FIELDS or name in DROPPED_FIELDS or is_time_field(name)


def actor_field(event_type: str, fields: Iterable[str]) -> str | None:
    if event_type in ACTOR_FIELDS:
        return ACTOR_FIELDS[event_type]
    names = set(fields)
    return next((f for f in DEFAULT_ACTOR_FIELDS if f in names), None)


class Pseudonymizer:
    """Stable keyed pseudonyms: the same person always gets the same one.

    `p_` + the first 32 hex digits (128 bits) of HMAC-SHA256(key, "person:" + id);
    a thing's id (`thing`): `k_` + the same of HMAC-SHA256(key, "thing:" + id).
    The prefixes inside the HMAC keep the two families apart.
    """

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must hold at least 16 bytes")
        self._key = key

    def __call__(self, person_id: str) -> str:
        digest = hmac.new(self._key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:32]

    def thing(self, thing_id: str) -> str:
        digest = hmac.new(self._key, f"thing:{thing_id}".encode(), hashlib.sha256).hexdigest()
        return THING_KEY_PREFIX + digest[:32]


def random_pseudonym() -> str:
    """A pseudonym linked to nobody: what an erased member's pseudonym becomes."""
    return PSEUDONYM_PREFIX + secrets.token_hex(16)


def _pseudonymize(value: Any, pseudonym) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [pseudonym(str(v)) for v in value]
    return pseudonym(str(value))


def sanitize_payload(payload: dict[str, Any], pseudonym) -> dict[str, Any]:
    """The payload without personal data: people's ids become pseudonyms,
    free texts and unknown fields are dropped. `payload` is JSON-safe."""
    clean = {}
    for name, value in payload.items():
        kind = classify(name)
        if kind == "person":
            clean[name] = _pseudonymize(value, pseudonym)
        elif kind == "kept":
            clean[name] = value
    return clean
