"""Mentoring rules, free of I/O."""
import calendar
from datetime import datetime

from shared.caller import Caller
from shared.errors import Conflict, Forbidden, NotFound

REQUEST_NOT_FOUND = "Demande de mentorat introuvable."
OPEN_STATUSES = ("pending", "active")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the month's last day when shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# A request's message is screened before its mentor sees it (issue 13).
MESSAGE_PENDING, MESSAGE_HELD, MESSAGE_REFUSED = "pending", "held", "refused"


def mentor_sees(message_moderation: str | None) -> bool:
    """The mentor sees a request only once its message is clean (or approved)."""
    return message_moderation is None


def message_after_verdict(verdict: str) -> str | None:
    return {"clean": None, "published": None, "held": MESSAGE_HELD, "refused": MESSAGE_REFUSED}[verdict]


def verdict_applies(status: str, message_moderation: str | None, text_version: int) -> bool:
    """A message is submitted once (version 1); a verdict counts while the
    request still waits for it (a redelivery, or a request cancelled since,
    changes nothing)."""
    return text_version == 1 and status == "pending" and message_moderation in (MESSAGE_PENDING, MESSAGE_HELD)


def party_of(mentor_user_id: str | None, mentee_id: str | None, caller: Caller,
             message_moderation: str | None = None) -> str:
    """'mentor' or 'mentee'; anyone else does not see the request at all, nor
    its mentor before its message is clean."""
    if mentor_user_id is not None and caller.id == mentor_user_id and mentor_sees(message_moderation):
        return "mentor"
    if mentee_id is not None and caller.id == mentee_id:
        return "mentee"
    raise NotFound(REQUEST_NOT_FOUND)


def check_is_mentor(party: str) -> None:
    if party != "mentor":
        raise Forbidden("Seul le mentor sollicité répond à cette demande.")


def check_pending(status: str) -> None:
    if status != "pending":
        raise Conflict("Cette demande a déjà reçu une réponse.")


def check_has_capacity(active_mentorships: int, capacity: int) -> None:
    if active_mentorships >= capacity:
        raise Conflict("Ce mentor accompagne déjà autant de personnes que sa capacité le permet.")


def check_active(status: str) -> None:
    if status != "active":
        raise Conflict("Ce mentorat n'est pas en cours.")


def seats_left(active_mentorships: int, capacity: int) -> int:
    return max(capacity - active_mentorships, 0)
