"""Views built from the rows posts reads (services/posts/views.py)."""
from services.posts.views import iso_time


def test_times_read_from_postgresql_json_are_written_as_python_writes_them():
    # PostgreSQL's JSON drops a fraction's trailing zeros; views always had six digits.
    assert iso_time("2025-01-06T08:00:00.12+00:00") == "2025-01-06T08:00:00.120000+00:00"
    assert iso_time("2025-01-06T08:00:00.123456+05:30") == "2025-01-06T08:00:00.123456+05:30"
    assert iso_time("2025-01-06T08:00:00.5-03:00") == "2025-01-06T08:00:00.500000-03:00"
    assert iso_time("2025-01-06T08:00:00+00:00") == "2025-01-06T08:00:00+00:00"
    assert iso_time(None) is None
