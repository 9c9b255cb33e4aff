"""Identity rules, free of I/O."""
import unicodedata
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from shared.caller import Caller
from shared.errors import Forbidden, ValidationFailed

MIN_PASSWORD_LENGTH = 12
ERASED_DISPLAY_NAME = "Membre supprimé"

# Brute force: failed logins counted over a window, per account and per
# client address for unknown devices, per device for a device the member has
# signed in from before (OWASP's device cookies: an attacker's failures lock
# unknown devices out of the account, never its owner's known ones).
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 10
MAX_FAILURES_PER_CLIENT = 50
MAX_FAILURES_PER_DEVICE = 5
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


def admin_password_problems(password: str, documented: str, common_passwords: frozenset[str]) -> list[str]:
    """Why the bootstrap's admin password is unfit for a real deployment:
    the password policy, and the default written in the README (known to
    anyone who has read it). Said to the operator, never with the password."""
    problems = []
    if password == documented:
        problems.append("it is the documented default (README, .env.example)")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"it has fewer than {MIN_PASSWORD_LENGTH} characters")
    if password.lower() in common_passwords:
        problems.append("it is a common password")
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


def invitation_usable(uses: int, max_uses: int, expires_at: datetime, now: datetime,
                      revoked_at: datetime | None = None) -> bool:
    return revoked_at is None and uses < max_uses and now < expires_at


def invitations_scope(caller: Caller) -> str | None:
    """Whose invitations a caller lists: an advisor their agency's, an admin
    every one (None)."""
    caller.require_role("advisor", "admin")
    return None if caller.role == "admin" else caller.agency_code


def may_revoke_invitation(caller: Caller, creator_agency: str | None) -> bool:
    """An invitation is revoked by an admin, or by an advisor of the agency of
    whoever created it (an admin's invitations: admins only)."""
    if caller.role == "admin":
        return True
    return caller.role == "advisor" and creator_agency is not None and creator_agency == caller.agency_code


def invitation_expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def throttle_keys(email: str, client_key: str | None, device: str | None) -> list[tuple[str, int]]:
    """The failure counters a login attempt is checked against and counted on,
    with their limits; the first is the one a success clears.

    A known device (a valid device token of this account) has its own small
    limit and nothing else: failures from elsewhere do not lock it out. An
    unknown device meets the account's limit and its client address's.
    """
    if device:
        return [(f"device:{device}", MAX_FAILURES_PER_DEVICE)]
    keys = [(f"email:{email}", MAX_FAILURES_PER_ACCOUNT)]
    if client_key:
        keys.append((f"client:{client_key}", MAX_FAILURES_PER_CLIENT))
    return keys


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


# Activity is written at most this often per member (every refresh would
# otherwise update the member's row).
ACTIVITY_RESOLUTION = timedelta(hours=1)


def should_record_activity(last_active_at: datetime | None, warned_at: datetime | None, now: datetime) -> bool:
    """A warned member's activity always counts: it cancels the erasure."""
    return warned_at is not None or last_active_at is None or now - last_active_at >= ACTIVITY_RESOLUTION
def is_retried_refresh(used_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A used refresh token presented again within `grace` of its first use
    is the same client retrying (the answer was lost, or its requests raced),
    not a stolen token replayed later."""
    return now - used_at <= grace


def is_suspended(status: str, suspended_until: datetime | None, now: datetime) -> bool:
    """A suspension ends at its expiry even before the lift event arrives."""
    return status == "suspended" and (suspended_until is None or suspended_until > now)


# ---------------------------------------------------------------- display names

STAFF_ROLES = ("advisor", "admin")
STAFF_NAME_REFUSED = (
    "Ce nom laisse croire que vous parlez au nom de France Travail ou de la modération : "
    "il est réservé aux conseillers et à l'équipe de la plateforme."
)
# Words a name may not begin with, and words it may not hold at all, for a
# member who is not staff: members trust what such a name says.
_STAFF_FIRST_WORDS = frozenset({
    "conseiller", "conseillere", "conseillers", "conseilleres", "equipe", "administrateur", "administratrice",
    "admin", "administration",
})
_STAFF_WORDS = frozenset({"moderation", "moderateur", "moderatrice", "moderateurs", "moderatrices", "modo"})
# Organisations, letters only: "Pôle-Emploi", "P.o.l.e emploi", "FranceTravail" read the same.
_STAFF_ORGANISATIONS = ("poleemploi", "francetravail")
# Look-alike digits and symbols people use to get past a filter ("P0le emploi", "Trava1l").
_NAME_SWAPS = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e"})


def _join_spelled_out(words: list[str]) -> list[str]:
    """Letters written one by one ("C o n s e i l l e r", "M.o.d.o") as one word."""
    joined: list[str] = []
    for word in words:
        if len(word) == 1 and joined and joined[-1].startswith("\0"):
            joined[-1] += word
        else:
            joined.append("\0" + word if len(word) == 1 else word)
    return [w.lstrip("\0") for w in joined]


def _name_readings(display_name: str) -> list[list[str]]:
    """The name's words, accents and case folded, look-alikes read as letters
    ("1" as i and as l); one list of words per reading."""
    folded = unicodedata.normalize("NFKD", display_name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c)).translate(_NAME_SWAPS)
    readings = []
    for one in ("i", "l"):
        text = folded.replace("1", one)
        readings.append(_join_spelled_out("".join(c if c.isalnum() else " " for c in text).split()))
    return readings


def poses_as_staff(display_name: str) -> bool:
    """Whether a name passes itself off as an advisor, the platform's team,
    its moderators or the public employment service ("Conseiller Martin",
    "Équipe emploi", "Modération", "Pôle emploi", "France Travail"), whatever
    the case, accents, separators or look-alike digits."""
    for words in _name_readings(display_name):
        compact = "".join(words)
        if words and words[0] in _STAFF_FIRST_WORDS:
            return True
        if _STAFF_WORDS & set(words):
            return True
        if any(organisation in compact for organisation in _STAFF_ORGANISATIONS):
            return True
    return False


def check_display_name(display_name: str, role: str) -> None:
    """Staff (advisors, admins) may use any name; other members not one that poses as staff."""
    if role not in STAFF_ROLES and poses_as_staff(display_name):
        raise ValidationFailed.single(["body", "display_name"], STAFF_NAME_REFUSED)
USER_AGENT_MAX = 300


def clean_user_agent(user_agent: str | None) -> str | None:
    """What a member sees of a login's browser: printable, bounded."""
    if not user_agent:
        return None
    printable = "".join(ch for ch in user_agent if ch.isprintable()).strip()
    return printable[:USER_AGENT_MAX] or None


# ---------------------------------------------------------------- profile screening (issue 13)
#
# Others see a member's display name and bio only once moderation found them
# clean; the member sees what they submitted, with its moderation status.

PROFILE_PENDING, PROFILE_HELD, PROFILE_REFUSED = "pending", "held", "refused"
# What others see of a new member until moderation finds the display name
# they typed at registration clean (or a person approves it): they have no
# earlier clean name to keep showing.
UNSCREENED_DISPLAY_NAME = "Nouveau membre"


def profile_submission(public: tuple[str, str], pending: tuple[str | None, str | None],
                       changes: dict) -> tuple[str, str] | None:
    """The (display name, bio) to screen after a PATCH, or None when it
    changes neither text from what was last submitted (the pending texts when
    some wait, else the public ones)."""
    name = pending[0] if pending[0] is not None else public[0]
    bio = pending[1] if pending[1] is not None else public[1]
    proposed = (changes.get("display_name", name), changes.get("bio", bio))
    return None if proposed == (name, bio) else proposed


def verdict_applies(event_text_version: int, current_text_version: int, status: str | None) -> bool:
    """A verdict counts only for the latest submission, and only while it waits
    (a redelivered verdict, or one about a text since replaced, changes nothing)."""
    return event_text_version == current_text_version and status in (PROFILE_PENDING, PROFILE_HELD)


def profile_after_verdict(verdict: str) -> str | None:
    """The member's profile_moderation after a verdict: None once published
    (clean by the rules, or approved by a person)."""
    return {"clean": None, "published": None, "held": PROFILE_HELD, "refused": PROFILE_REFUSED}[verdict]
