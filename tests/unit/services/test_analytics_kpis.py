"""analytics: each KPI of a known month, computed from contract events recorded by the real use case."""
import random
import uuid
from datetime import datetime, timezone

import pytest

from services.analytics import handlers, kpis
from services.analytics.privacy import Pseudonymizer
from shared.caller import Caller
from shared.contracts import Envelope
from shared.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from tests.unit.fakes import FakeAnalyticsUnitOfWork
from tests.unit.services.test_analytics_scenario import (
    EMPTY, EXPECTED_LILLE_MARCH, LILLE, NOW, People, month_of_events,
)

PSEUDONYM = Pseudonymizer(b"a test key that is long enough")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
ADMIN = Caller(str(uuid.uuid4()), "admin", None)


def record_all(events, order=None) -> FakeAnalyticsUnitOfWork:
    uow = FakeAnalyticsUnitOfWork()
    for event in order(events) if order else events:
        handlers.record_event(uow, Envelope.wrap(event), event, PSEUDONYM, NOW)
    return uow


@pytest.fixture(scope="module")
def people():
    return People()


@pytest.fixture(scope="module")
def uow(people):
    return record_all(month_of_events(people))


def figures(out: dict) -> dict:
    return {k: v for k, v in out.items() if k not in {"agency", "region", "from", "to"}}


def test_each_kpi_of_a_known_month(uow):
    out = handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": LILLE}, NOW)
    assert out["agency"] == LILLE and out["region"] == "Hauts-de-France"
    assert (out["from"], out["to"]) == ("2026-03-01", "2026-03-31")
    expected, got = EXPECTED_LILLE_MARCH, figures(out)
    for name in expected:
        assert got[name] == expected[name], name
    assert got == expected


def test_figures_do_not_depend_on_the_order_events_arrive_in(people):
    shuffled = record_all(month_of_events(people), order=lambda e: random.Random(7).sample(e, len(e)))
    assert figures(handlers.kpis_for(shuffled, ADMIN, {**MARCH, "agency": LILLE}, NOW)) == EXPECTED_LILLE_MARCH


def test_a_duplicate_event_counts_once(people):
    events = month_of_events(people)
    uow = FakeAnalyticsUnitOfWork()
    for event in events:
        envelope = Envelope.wrap(event)
        handlers.record_event(uow, envelope, event, PSEUDONYM, NOW)
        assert handlers.record_event(uow, envelope, event, PSEUDONYM, NOW) is None
    assert len(uow.stream.messages) == len(events)
    assert figures(handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": LILLE}, NOW)) == EXPECTED_LILLE_MARCH


def test_rebuild_from_facts_gives_the_same_figures(uow):
    before = handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": LILLE}, NOW)
    uow.derived.clear()
    assert figures(handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": LILLE}, NOW)) == EMPTY
    assert handlers.rebuild(uow) == uow.facts.count()
    assert handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": LILLE}, NOW) == before


def test_an_agency_with_nothing_reports_nulls_not_zeros(uow):
    assert figures(handlers.kpis_for(uow, ADMIN, {**MARCH, "agency": "OCC-TOULOUSE"}, NOW)) == EMPTY


def test_a_region_adds_up_its_agencies(uow):
    region = handlers.kpis_for(uow, ADMIN, {**MARCH, "region": "Hauts-de-France"}, NOW)
    assert region["agency"] is None and region["region"] == "Hauts-de-France"
    assert region["posts"] == 5 and region["questions"] == 4          # the Roubaix question joins
    assert region["mentoring_matches"] == 3 and region["moderation"]["cases_opened"] == 4
    pilot = handlers.kpis_for(uow, ADMIN, MARCH, NOW)
    assert pilot["posts"] == 5 and pilot["region"] is None


def test_one_day(uow):
    out = handlers.daily_kpis_for(uow, ADMIN, {"agency": LILLE, "from": "2026-03-03", "to": "2026-03-05"}, NOW)
    assert [row["date"] for row in out["items"]] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    march_3, march_4, march_5 = out["items"]
    assert march_3["posts"] == 1 and march_3["answered_question_ratio"] == 1.0
    assert march_3["median_minutes_to_first_answer"] == 30.0 and march_3["peer_answer_ratio"] == 0.5
    assert march_4["posts"] == 0 and march_4["answered_question_ratio"] is None
    assert march_4["moderation"]["median_minutes_to_decision"] == 120.0
    assert march_5["questions"] == 1 and march_5["answered_within_24h_ratio"] == 0.0
    assert out["next_cursor"] is None


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_members_may_not_read_figures(uow, role):
    with pytest.raises(Forbidden):
        handlers.kpis_for(uow, Caller(str(uuid.uuid4()), role, LILLE), MARCH, NOW)


def test_anonymous_may_not_read_figures(uow):
    with pytest.raises(Unauthorized):
        handlers.kpis_for(uow, Caller.anonymous(), MARCH, NOW)


def test_an_advisor_reads_their_agency_only(uow):
    advisor = Caller(str(uuid.uuid4()), "advisor", LILLE)
    own = handlers.kpis_for(uow, advisor, MARCH, NOW)
    assert own["agency"] == LILLE and figures(own) == EXPECTED_LILLE_MARCH
    assert figures(handlers.kpis_for(uow, advisor, {**MARCH, "agency": LILLE}, NOW)) == EXPECTED_LILLE_MARCH
    with pytest.raises(Forbidden):
        handlers.kpis_for(uow, advisor, {**MARCH, "agency": "HDF-ROUBAIX"}, NOW)
    with pytest.raises(Forbidden):
        handlers.kpis_for(uow, advisor, {**MARCH, "region": "Hauts-de-France"}, NOW)
    with pytest.raises(Forbidden):
        handlers.daily_kpis_for(uow, advisor, {**MARCH, "agency": "HDF-ROUBAIX"}, NOW)


def test_an_advisor_without_agency_is_forbidden(uow):
    with pytest.raises(Forbidden):
        handlers.kpis_for(uow, Caller(str(uuid.uuid4()), "advisor", None), MARCH, NOW)


def test_unknown_agency_or_region_is_not_found(uow):
    with pytest.raises(NotFound):
        handlers.kpis_for(uow, ADMIN, {"agency": "NOWHERE"}, NOW)
    with pytest.raises(NotFound):
        handlers.kpis_for(uow, ADMIN, {"region": "Atlantide"}, NOW)


def test_an_agency_outside_the_region_asked_is_invalid(uow):
    with pytest.raises(ValidationFailed) as caught:
        handlers.kpis_for(uow, ADMIN, {"agency": LILLE, "region": "Occitanie"}, NOW)
    assert caught.value.errors[0]["loc"] == ["query", "region"]


@pytest.mark.parametrize(
    "query, field",
    [({"from": "2026-03-31", "to": "2026-03-01"}, "from"), ({"from": "mars"}, "from"),
     ({"from": "2024-01-01", "to": "2026-01-01"}, "from"), ({"colour": "red"}, "colour")],
)
def test_bad_periods_are_refused(uow, query, field):
    with pytest.raises(ValidationFailed) as caught:
        handlers.kpis_for(uow, ADMIN, query, NOW)
    assert caught.value.errors[0]["loc"] == ["query", field]


def test_the_default_period_is_the_last_30_days(uow):
    out = handlers.kpis_for(uow, ADMIN, {}, NOW)
    assert (out["from"], out["to"]) == ("2026-03-17", "2026-04-15")


def test_daily_range_is_bounded(uow):
    with pytest.raises(ValidationFailed):
        handlers.daily_kpis_for(uow, ADMIN, {"from": "2025-01-01", "to": "2026-03-31"}, NOW)


def test_percentiles_interpolate_like_postgresql():
    assert kpis.percentile([], 0.5) is None
    assert kpis.percentile([10.0], 0.9) == 10.0
    assert kpis.percentile([10.0, 20.0, 40.0, 80.0], 0.5) == 30.0
    assert kpis.percentile([10.0, 20.0, 40.0, 80.0], 0.9) == 68.0


def test_ratios_of_nothing_are_null():
    assert kpis.ratio(0, 0) is None and kpis.ratio(0, 3) == 0.0 and kpis.ratio(2, 3) == 0.6667


def test_headline_figures_per_agency_for_prometheus(uow):
    per_agency = handlers.kpis_per_agency(uow, datetime(2026, 3, 31, 23, tzinfo=timezone.utc), 31)
    assert per_agency[LILLE]["posts"] == 4 and per_agency["HDF-ROUBAIX"]["posts"] == 1
    assert per_agency["OCC-TOULOUSE"]["answered_question_ratio"] is None
