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


def party_of(mentor_user_id: str | None, mentee_id: str | None, caller: Caller) -> str:
    """'mentor' or 'mentee'; anyone else does not see the request at all."""
    if mentor_user_id is not None and caller.id == mentor_user_id:
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
