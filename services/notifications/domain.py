"""Notification rules, free of I/O: the types, default preferences, which
channels a notification takes, digest periods and the e-mail retry backoff."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import backoff

# Every notification type, with its default channels: in-app for all; an
# e-mail at once only for what matters right away. Reactions are never e-mailed.
DEFAULT_EMAIL: dict[str, bool] = {
    "comment_on_post": False,
    "answer_accepted": False,
    "reaction": False,
    "moderation_decision": True,
    "report_resolved": False,
    "sanction": True,
    "question_unanswered": False,
    "event_registration_confirmed": True,
    "event_waitlist_promoted": True,
    "event_cancelled": True,
    "event_reminder": True,
    "mentoring_request": True,
    "mentoring_answer": True,
    "mentorship_ended": True,
}
TYPES: tuple[str, ...] = tuple(DEFAULT_EMAIL)
NEVER_EMAILED = frozenset({"reaction"})

DIGESTS = ("off", "daily", "weekly")
DEFAULT_DIGEST = "weekly"

DIGEST_LIMIT = 20  # notifications listed in one digest e-mail; the rest are counted


@dataclass(frozen=True)
class Draft:
    """A notification to make for one member, before channels are decided."""

    recipient_id: str
    type: str
    title: str
    body: str
    link: str | None


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool


def default_channels() -> dict[str, dict[str, bool]]:
    return {t: {"in_app": True, "email": DEFAULT_EMAIL[t]} for t in TYPES}


def effective_channels(stored: dict | None) -> dict[str, dict[str, bool]]:
    """Defaults overlaid with what the member chose (types added later get their default)."""
    channels = default_channels()
    for notification_type, choice in (stored or {}).items():
        if notification_type in channels:
            channels[notification_type] = {
                "in_app": bool(choice.get("in_app", True)),
                "email": bool(choice.get("email", False)) and notification_type not in NEVER_EMAILED,
            }
    return channels


def channels_for(notification_type: str, stored: dict | None) -> Channels:
    choice = effective_channels(stored)[notification_type]
    return Channels(in_app=choice["in_app"], email=choice["email"])


def preference_errors(channels: dict) -> list[dict]:
    """What a member may not choose: unknown types, reactions by e-mail."""
    errors = []
    for notification_type, choice in channels.items():
        if notification_type not in DEFAULT_EMAIL:
            errors.append({"loc": ["body", "channels", notification_type],
                           "msg": "Type de notification inconnu."})
        elif notification_type in NEVER_EMAILED and choice.get("email"):
            errors.append({"loc": ["body", "channels", notification_type, "email"],
                           "msg": "Les réactions ne sont jamais envoyées par e-mail."})
    return errors


def digest_period(frequency: str, now: datetime, anchor: datetime, daily_seconds: int, weekly_seconds: int) -> str:
    """The key of the digest period `now` falls in, e.g. `weekly:100`.

    Periods are counted from `anchor`; one digest per member and period key."""
    length = daily_seconds if frequency == "daily" else weekly_seconds
    index = int((now - anchor).total_seconds() // length)
    return f"{frequency}:{index}"


def digest_window_start(last_digest_at: datetime | None, frequency: str, now: datetime,
                        daily_seconds: int, weekly_seconds: int) -> datetime:
    """Notifications made after this go into the digest: since the last one,
    or over one period for a member's first digest."""
    if last_digest_at is not None:
        return last_digest_at
    length = daily_seconds if frequency == "daily" else weekly_seconds
    return now - timedelta(seconds=length)


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff after the `attempts`-th failed attempt (1, 2, ...)."""
    return backoff.delay(attempts, base_seconds, max_seconds)
