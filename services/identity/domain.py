"""Identity rules, free of I/O."""
import unicodedata
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from shared.caller import Caller
from shared.errors import Forbidden, ValidationFailed

MIN_PASSWORD_LENGTH = 12
ERASED_DISPLAY_NAME = "Membre supprimé"

# Brute force: failed logins counted per account and per client over a window.
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 10
MAX_FAILURES_PER_CLIENT = 50
ROLES_NEEDING_AGENCY = ("job_seeker", "advisor")
INVITATION_REFUSED = "Invitation inconnue, épuisée ou expirée."


def normalize_email(email: str, loc: str = "email") -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed.single(["body", loc], "Adresse e-mail invalide.") from None


def lookup_email(email: str) -> str:
    """The stored form of an e-mail typed at login, without rejecting it:
    a malformed address simply matches nobody (same 401 as a wrong one)."""
    try:
        return normalize_email(email)
    except ValidationFailed:
        return unicodedata.normalize("NFC", email.strip()).lower()


def password_problems(password: str, common_passwords: frozenset[str]) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.")
    if password.lower() in common_passwords:
        problems.append("Ce mot de passe est trop courant.")
    return problems


def invitation_agency(caller: Caller, role: str, agency_code: str | None) -> str | None:
    """Who may invite whom, and into which agency.

    Advisors invite job seekers of their own agency only; admins invite any
    role. Job seekers and advisors belong to one agency; companies and
    admins to none unless given.
    """
    caller.require_user()
    if caller.role == "advisor":
        if role != "job_seeker":
            raise Forbidden("Un conseiller ne peut inviter que des demandeurs d'emploi.")
        if agency_code not in (None, caller.agency_code):
            raise Forbidden("Un conseiller ne peut inviter que dans son agence.")
        return caller.agency_code
    if caller.role != "admin":
        raise Forbidden("Votre rôle ne permet pas d'inviter.")
    if role in ROLES_NEEDING_AGENCY and not agency_code:
        raise ValidationFailed.single(["body", "agency_code"], "Agence obligatoire pour ce rôle.")
    return agency_code


def invitation_usable(uses: int, max_uses: int, expires_at: datetime, now: datetime) -> bool:
    return uses < max_uses and now < expires_at


def invitation_expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def retry_after_seconds(failures: list[datetime], limit: int, now: datetime, window: timedelta = LOGIN_WINDOW) -> int | None:
    """Seconds until a new attempt is allowed, or None when under the limit.

    With `limit` failures inside the window, the next attempt waits until the
    oldest of the last `limit` failures leaves the window.
    """
    recent = sorted(t for t in failures if t > now - window)
    if len(recent) < limit:
        return None
    freed_at = recent[-limit] + window
    return max(1, int((freed_at - now).total_seconds()) + 1)


def is_retried_refresh(used_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A used refresh token presented again within `grace` of its first use
    is the same client retrying (the answer was lost, or its requests raced),
    not a stolen token replayed later."""
    return now - used_at <= grace


def is_suspended(status: str, suspended_until: datetime | None, now: datetime) -> bool:
    """A suspension ends at its expiry even before the lift event arrives."""
    return status == "suspended" and (suspended_until is None or suspended_until > now)
