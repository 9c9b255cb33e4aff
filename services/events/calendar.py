"""iCalendar (RFC 5545) export of an event, in Paris time.

Generated with the `icalendar` library: DTSTART and DTEND carry
TZID=Europe/Paris in local time, and the calendar embeds the matching
VTIMEZONE, so every calendar application shows the right hour on both sides
of a daylight-saving change.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Plateforme d'entraide des demandeurs d'emploi//Evenements//FR"
UID_DOMAIN = "evenements.plateforme-entraide.fr"

KIND_LABELS = {
    "job_fair": "Forum emploi",
    "workshop": "Atelier",
    "info_session": "Réunion d'information",
    "webinar": "Webinaire",
}


def event_uid(event_id: str) -> str:
    """Stable across downloads and edits: a calendar updates the same entry."""
    return f"{event_id}@{UID_DOMAIN}"


def to_ics(event) -> str:
    """`event` has the CalendarEvent attributes; the text is CRLF-separated iCalendar."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")

    entry = Event()
    entry.add("uid", event_uid(str(event.id)))
    entry.add("dtstamp", _utc(event.updated_at))
    entry.add("created", _utc(event.created_at))
    entry.add("last-modified", _utc(event.updated_at))
    entry.add("dtstart", event.starts_at.astimezone(PARIS))
    entry.add("dtend", event.ends_at.astimezone(PARIS))
    entry.add("summary", event.title)
    entry.add("description", _description(event))
    entry.add("categories", [KIND_LABELS.get(event.kind, event.kind)])
    if event.location:
        entry.add("location", event.location)
    elif event.online_url:
        entry.add("location", event.online_url)
    if event.online_url:
        entry.add("url", event.online_url)
    cancelled = event.status == "cancelled"
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Calendars apply an update only when its sequence grows: bump it on cancellation.
    entry.add("sequence", 1 if cancelled else 0)
    cal.add_component(entry)
    # Only the transitions around the event: a short VTIMEZONE, right beyond 2038 too.
    cal.add_missing_timezones(
        first_date=date(event.starts_at.year - 1, 1, 1), last_date=date(event.ends_at.year + 2, 1, 1)
    )
    return cal.to_ical().decode("utf-8")


def _description(event) -> str:
    parts = [event.description.strip()]
    if event.online_url:
        parts.append(f"Participer en ligne : {event.online_url}")
    if event.status == "cancelled" and event.cancel_reason:
        parts.append(f"Événement annulé : {event.cancel_reason}")
    return "\n\n".join(parts)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC"))
