"""Moderation rules with no I/O: who may act on what, what a decision does."""
import re
import uuid
from datetime import datetime, timedelta

from services.moderation import personal_data
from shared.caller import Caller
from shared.errors import ValidationFailed

# The status a target takes after a person's decision.
STATUS_AFTER_DECISION = {"approve": "published", "reject": "rejected", "hide": "hidden"}
# An edit of content that reports or a decision took out of view goes back to a person.
EDITED_AFTER_DECISION = "review.edited_after_decision"
ERASED_EXCERPT = "[contenu d'un membre supprimé]"
ERASED_APPEAL = "[recours d'un membre supprimé]"
# The other texts members see (issue 13): their owner shows a new version
# only once it is clean; a case decides one version, and a refused version is
# dropped (a new one is screened afresh, never appealed).
TEXT_TARGETS = ("profile", "mentoring_request", "calendar_event")
# Screening's decision, as the verdict a text's owner acts on.
TEXT_VERDICT = {"publish": "clean", "hold": "held", "reject": "refused"}
# A person's decision on a text: approve publishes it, reject refuses it;
# hiding means nothing for a text that was never shown.
TEXT_DECISION = {"approve": "published", "reject": "refused"}
_DIGIT_RUNS = re.compile(r"\+?\d[\d\s.\-/]{7,}\d")


def excerpt(text: str, length: int = 280) -> str:
    """A short excerpt for the queue, personal data masked before cutting (the
    case never keeps what it was opened for), and any long digit run too."""
    masked = _DIGIT_RUNS.sub("[masqué]", personal_data.mask(" ".join(text.split())))
    return masked if len(masked) <= length else masked[: length - 1] + "…"


def needs_a_person(open_case_source: str | None, last_decision: str | None) -> bool:
    """Whether new content of a target must wait for a person whatever
    screening finds: reports hid it or an appeal is pending (an open case
    that screening did not open), or the latest decision about it rejected or
    hid it (a person's, or the rules'). Screening must not undo a judgement
    that was not its own, nor let one character of change undo a rejection."""
    return open_case_source in ("reports", "appeal") or last_decision in ("reject", "hide")


def parse_uuid(value) -> uuid.UUID | None:
    """The id as a UUID, or None when it cannot be one (so: unknown)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def may_moderate(caller: Caller, agency_code: str | None) -> bool:
    """An admin moderates every agency; an advisor only their own."""
    return caller.is_staff_of(agency_code)


def may_sanction(caller: Caller, member_role: str, member_agency: str | None) -> bool:
    """Advisors sanction job seekers and companies of their own agency; admins anyone."""
    if caller.role == "admin":
        return True
    return caller.role == "advisor" and member_agency == caller.agency_code and member_role in ("job_seeker", "company")


def sanction_expiry(kind: str, duration_hours: float | None, now: datetime) -> datetime | None:
    """A warning has no duration; a mute or a suspension must have one."""
    if kind == "warn":
        if duration_hours is not None:
            raise ValidationFailed.single(["body", "duration_hours"], "Un avertissement n'a pas de durée.")
        return None
    if duration_hours is None:
        raise ValidationFailed.single(["body", "duration_hours"], "Durée obligatoire pour une mise en sourdine ou une suspension.")
    return now + timedelta(hours=duration_hours)


def is_answer(comment_author: str, question_author: str, post_kind: str) -> bool:
    """A published comment answers a question when someone other than its author wrote it."""
    return post_kind == "question" and comment_author != question_author


def text_decision(action: str) -> str:
    """The verdict a person's action gives a held text (422 for `hide`)."""
    if action not in TEXT_DECISION:
        raise ValidationFailed.single(["body", "action"], "Un texte en attente est accepté ou refusé, pas masqué.")
    return TEXT_DECISION[action]


def is_stale(text_version: int, latest_screened: int | None) -> bool:
    """A submission older than one already screened: its verdict could only undo a newer one."""
    return latest_screened is not None and text_version < latest_screened
