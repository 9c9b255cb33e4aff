"""Dates as people say them, in French and in Paris time.

`when()` gives "mardi 3 mars à 14 h" (with the year when it is not this
year's, and the minutes when there are some: "à 14 h 30"); `ago()` gives
"à l'instant", "il y a 5 minutes", "hier", "il y a 3 jours", then the date.
Babel (CLDR) knows the French day and month names and plurals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta

PARIS = ZoneInfo("Europe/Paris")


def parse(value: str | datetime | None) -> datetime | None:
    """An RFC 3339 string (or a datetime) as an aware datetime; None when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def when(value: str | datetime | None, now: datetime | None = None) -> str:
    moment = parse(value)
    if moment is None:
        return ""
    local = moment.astimezone(PARIS)
    now_local = (now or datetime.now(timezone.utc)).astimezone(PARIS)
    day = "EEEE d MMMM" if local.year == now_local.year else "EEEE d MMMM y"
    hour = "H 'h'" if local.minute == 0 else "H 'h' mm"
    return format_datetime(local, f"{day} 'à' {hour}", tzinfo=PARIS, locale="fr")


def day(value: str | date | datetime | None) -> str:
    """"3 mars 2026"."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, "d MMMM y", locale="fr")
    moment = parse(value)
    return format_date(moment.astimezone(PARIS).date(), "d MMMM y", locale="fr") if moment else ""


def ago(value: str | datetime | None, now: datetime | None = None) -> str:
    moment = parse(value)
    if moment is None:
        return ""
    now = now or datetime.now(timezone.utc)
    elapsed = now - moment
    if elapsed < timedelta(seconds=45):
        return "à l'instant"
    local, today = moment.astimezone(PARIS).date(), now.astimezone(PARIS).date()
    if elapsed < timedelta(hours=12) or local == today:
        return format_timedelta(-elapsed, add_direction=True, threshold=1.0, locale="fr")
    if local == today - timedelta(days=1):
        return "hier"
    if elapsed < timedelta(days=7):
        return format_timedelta(-timedelta(days=(today - local).days), granularity="day", add_direction=True, locale="fr")
    return "le " + format_date(local, "d MMMM" if local.year == today.year else "d MMMM y", locale="fr")


def iso(value: str | datetime | None) -> str:
    """For <time datetime="…">."""
    moment = parse(value)
    return moment.isoformat() if moment else ""


def local_input(value: str | datetime | None) -> str:
    """For <input type="datetime-local"> (Paris time, minutes)."""
    moment = parse(value)
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") if moment else ""


def from_local_input(text: str | None) -> datetime | None:
    """A datetime-local field's value (Paris time) as an aware UTC datetime."""
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=PARIS)
    return naive.astimezone(timezone.utc)
