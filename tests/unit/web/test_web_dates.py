"""Dates as people say them, in Paris time."""
from datetime import datetime, timedelta, timezone

from web import dates

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=timezone.utc)  # a Thursday, 11 h in Paris


def test_a_moment_is_said_with_its_day_name_and_hour_in_paris_time():
    assert dates.when("2026-03-03T13:00:00Z", NOW) == "mardi 3 mars à 14 h"
    assert dates.when("2026-03-03T13:30:00+00:00", NOW) == "mardi 3 mars à 14 h 30"
    assert dates.when("2026-07-14T08:00:00Z", NOW) == "mardi 14 juillet à 10 h"  # summer time
    assert dates.when("2027-03-03T13:00:00Z", NOW) == "mercredi 3 mars 2027 à 14 h"
    assert dates.when(None) == "" and dates.when("pas une date") == ""


def test_lists_say_how_long_ago():
    assert dates.ago(NOW - timedelta(seconds=20), NOW) == "à l'instant"
    assert dates.ago(NOW - timedelta(minutes=5), NOW) == "il y a 5 minutes"
    assert dates.ago(NOW - timedelta(minutes=1), NOW) == "il y a 1 minute"
    assert dates.ago(NOW - timedelta(hours=3), NOW) == "il y a 3 heures"
    assert dates.ago(NOW - timedelta(hours=20), NOW) == "hier"
    assert dates.ago(NOW - timedelta(days=3), NOW) == "il y a 3 jours"
    assert dates.ago(NOW - timedelta(days=40), NOW) == "le 24 janvier"
    assert dates.ago(datetime(2025, 12, 1, tzinfo=timezone.utc), NOW) == "le 1 décembre 2025"


def test_datetime_fields_are_read_in_paris_time():
    assert dates.from_local_input("2026-03-03T14:00") == datetime(2026, 3, 3, 13, 0, tzinfo=timezone.utc)
    assert dates.local_input("2026-03-03T13:00:00Z") == "2026-03-03T14:00"
    assert dates.from_local_input("n'importe quoi") is None
