"""Event and registration rules, free of I/O."""
from datetime import datetime
from urllib.parse import urlsplit

from shared.api.events import ORGANIZER_ROLES
from shared.caller import Caller
from shared.errors import Conflict, Forbidden, ValidationFailed

ACTIVE_STATUSES = ("confirmed", "waitlisted")

# An event's texts are screened before members see it (issue 13).
TEXTS_PENDING, TEXTS_HELD, TEXTS_REFUSED = "pending", "held", "refused"


def visible_to(text_moderation: str | None, organizer_id: str | None, caller: Caller) -> bool:
    """Members see an event once its texts are clean (or approved); its
    organiser sees it from the start, with where its texts stand."""
    return text_moderation is None or (organizer_id is not None and organizer_id == caller.id)


def texts_after_verdict(verdict: str) -> str | None:
    return {"clean": None, "published": None, "held": TEXTS_HELD, "refused": TEXTS_REFUSED}[verdict]


def texts_verdict_applies(text_moderation: str | None, text_version: int) -> bool:
    """The texts are submitted once (version 1); a verdict counts while they wait."""
    return text_version == 1 and text_moderation in (TEXTS_PENDING, TEXTS_HELD)


def check_schedule(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    errors = []
    if starts_at <= now:
        errors.append({"loc": ["body", "starts_at"], "msg": "L'événement doit commencer dans le futur."})
    if ends_at <= starts_at:
        errors.append({"loc": ["body", "ends_at"], "msg": "La fin doit être après le début."})
    if errors:
        raise ValidationFailed(errors)


def check_place(location: str | None, online_url: str | None) -> None:
    if not location and not online_url:
        raise ValidationFailed(
            [
                {"loc": ["body", "location"], "msg": "Indiquez un lieu ou un lien de participation en ligne."},
                {"loc": ["body", "online_url"], "msg": "Indiquez un lieu ou un lien de participation en ligne."},
            ]
        )
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme != "https" or not parts.hostname or " " in online_url:
            raise ValidationFailed.single(["body", "online_url"], "Le lien doit être une adresse https.")


def check_may_organize(caller: Caller) -> None:
    if caller.role not in ORGANIZER_ROLES:
        raise Forbidden("Seuls les conseillers, les entreprises et les administrateurs organisent des événements.")


def organizer_agency(caller: Caller, requested: str | None) -> str | None:
    """The agency an event belongs to: an advisor's is always their own agency."""
    check_may_organize(caller)
    if caller.role == "advisor":
        if requested is not None and requested != caller.agency_code:
            raise Forbidden("Un conseiller n'organise des événements que pour son agence.")
        return caller.agency_code
    return requested


def may_manage(organizer_id: str | None, caller: Caller) -> bool:
    """The organiser and the national admins manage an event."""
    return caller.role == "admin" or (organizer_id is not None and organizer_id == caller.id)


def check_may_manage(organizer_id: str | None, caller: Caller) -> None:
    if not may_manage(organizer_id, caller):
        raise Forbidden("Seuls l'organisateur et les administrateurs gèrent cet événement.")


def check_not_cancelled(status: str) -> None:
    if status == "cancelled":
        raise Conflict("Cet événement est annulé : les inscriptions sont closes.")


def check_not_started(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise Conflict("Cet événement a déjà commencé : les inscriptions sont closes.")


def is_upcoming(status: str, starts_at: datetime, now: datetime) -> bool:
    return status == "scheduled" and starts_at > now


def seat_status(confirmed: int, capacity: int) -> str:
    """A new registration takes a seat while one is left, else joins the waitlist."""
    return "confirmed" if confirmed < capacity else "waitlisted"


def seats_left(confirmed: int, capacity: int) -> int:
    return max(capacity - confirmed, 0)


def check_cancellable(status: str, starts_at: datetime, now: datetime) -> None:
    if status == "cancelled":
        raise Conflict("Cet événement est déjà annulé.")
    if starts_at <= now:
        raise Conflict("Cet événement a déjà commencé : il ne peut plus être annulé.")


def check_attendance_open(status: str, starts_at: datetime, now: datetime) -> None:
    if status == "cancelled":
        raise Conflict("Cet événement est annulé.")
    if starts_at > now:
        raise Conflict("La présence se note une fois l'événement commencé.")

