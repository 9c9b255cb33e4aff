"""analytics: recording events, published posts per agency, GDPR export and erasure."""
import json
import uuid
from datetime import datetime, timezone

import pytest

from services.analytics import handlers
from services.analytics.privacy import Pseudonymizer
from shared.caller import Caller
from shared.contracts import Envelope
from shared.contracts.identity import AgencyCreated, ProfileUpdated, UserErased, UserRegistered
from shared.contracts.posts import PostCreated, PostPublished, ReactionAdded
from shared.errors import Forbidden, Unauthorized
from tests.unit.fakes import FakeAnalyticsUnitOfWork

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)
PSEUDONYM = Pseudonymizer(b"a test key that is long enough")


def record(uow, event):
    return handlers.record_event(uow, Envelope.wrap(event), event, PSEUDONYM, NOW)


def publish(uow, agency, author=None):
    post_id, author = str(uuid.uuid4()), author or str(uuid.uuid4())
    record(uow, PostCreated(post_id=post_id, author_id=author, agency_code=agency, kind="question", title="t",
                            body="b", topics=[], created_at=NOW))
    record(uow, PostPublished(post_id=post_id, author_id=author, agency_code=agency, kind="question", topics=[],
                              published_at=NOW))
    return post_id


def register(uow, user_id, agency="HDF-LILLE", role="job_seeker"):
    record(uow, UserRegistered(user_id=user_id, email="camille@exemple.fr", display_name="Camille", role=role,
                               agency_code=agency, registered_at=NOW))


@pytest.fixture
def uow():
    uow = FakeAnalyticsUnitOfWork()
    publish(uow, "HDF-LILLE")
    publish(uow, "HDF-LILLE")
    publish(uow, "IDF-PARIS-11")
    return uow


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_members_may_not_read_posts_per_agency(uow, role):
    with pytest.raises(Forbidden):
        handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), role, "HDF-LILLE"))


def test_anonymous_may_not_read_posts_per_agency(uow):
    with pytest.raises(Unauthorized):
        handlers.posts_per_agency(uow, Caller.anonymous())


def test_advisor_sees_only_own_agency(uow):
    assert handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")) == {"HDF-LILLE": 2}
    assert uow.derived.queried == ["HDF-LILLE"]


def test_advisor_without_agency_is_forbidden_rather_than_shown_all(uow):
    with pytest.raises(Forbidden):
        handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), "advisor", None))
    assert uow.derived.queried == []


def test_admin_sees_every_agency(uow):
    assert handlers.posts_per_agency(uow, Caller("a", "admin", None)) == {"HDF-LILLE": 2, "IDF-PARIS-11": 1}


def test_created_but_unpublished_posts_are_not_counted(analytics_uow):
    record(analytics_uow, PostCreated(post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code="HDF-LILLE",
                                      kind="question", title="t", body="b", topics=[], created_at=NOW))
    assert handlers.posts_per_agency(analytics_uow, Caller("a", "admin", None)) == {}


def test_each_event_is_one_fact_and_one_stream_message_in_the_callers_transaction(analytics_uow):
    user = str(uuid.uuid4())
    register(analytics_uow, user)
    fact = analytics_uow.facts.rows[0]
    # The entrypoint commits (with the inbox mark and the rest of its batch), not the use case.
    assert analytics_uow.commits == 0 and len(analytics_uow.stream.messages) == 1
    assert fact["actor"] == PSEUDONYM(user) and fact["agency_code"] == "HDF-LILLE"
    assert fact["payload"] == {"user_id": PSEUDONYM(user), "role": "job_seeker", "agency_code": "HDF-LILLE",
                               "registered_at": NOW.isoformat().replace("+00:00", "Z")}
    message = analytics_uow.stream.messages[0]
    assert message["region"] == "Hauts-de-France" and message["actor"] == PSEUDONYM(user)
    assert message["event_id"] == str(fact["event_id"]) and message["stream_version"] == 2


def test_an_event_without_agency_is_placed_in_its_members_agency(analytics_uow):
    user = str(uuid.uuid4())
    register(analytics_uow, user, agency="OCC-TOULOUSE")
    message = record(analytics_uow, ProfileUpdated(user_id=user, display_name="Camille D.", topics=[], updated_at=NOW))
    assert message["agency_code"] == "OCC-TOULOUSE" and message["region"] == "Occitanie"
    assert "display_name" not in message["payload"]


def test_a_new_agency_joins_the_region_map(analytics_uow):
    analytics_uow.agencies.rows.pop("HDF-LILLE")
    message = record(analytics_uow, AgencyCreated(code="BRE-RENNES", name="Agence Rennes", region="Bretagne",
                                                  created_at=NOW))
    assert message["agency_code"] == "BRE-RENNES" and message["payload"] == {
        "code": "BRE-RENNES", "region": "Bretagne", "created_at": "2026-03-04T09:30:00Z"}


def test_export_returns_what_analytics_holds_about_the_caller(analytics_uow):
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    register(analytics_uow, user)
    register(analytics_uow, other)
    publish(analytics_uow, "HDF-LILLE", author=user)
    out = handlers.export_user_data(analytics_uow, Caller(user, "job_seeker", "HDF-LILLE"), PSEUDONYM)
    json.dumps(out)
    assert out["pseudonym"] == PSEUDONYM(user)
    assert [f["event_type"] for f in out["facts"]] == [
        "identity.user_registered", "posts.post_created", "posts.post_published"]
    assert PSEUDONYM(other) not in json.dumps(out)


def test_export_needs_a_caller(analytics_uow):
    with pytest.raises(Unauthorized):
        handlers.export_user_data(analytics_uow, Caller.anonymous(), PSEUDONYM)


def test_erasure_unlinks_the_member_everywhere_but_keeps_the_figures(analytics_uow):
    user, peer = str(uuid.uuid4()), str(uuid.uuid4())
    register(analytics_uow, user)
    register(analytics_uow, peer)
    post_id = publish(analytics_uow, "HDF-LILLE", author=user)
    record(analytics_uow, ReactionAdded(post_id=post_id, post_author_id=user, user_id=peer, type="thanks",
                                        agency_code="HDF-LILLE", reacted_at=NOW))
    before = handlers.kpis_for(analytics_uow, Caller("a", "admin", None), {"agency": "HDF-LILLE"}, NOW)
    erasure = record(analytics_uow, UserErased(user_id=user, erased_at=NOW))

    mine = PSEUDONYM(user)
    assert erasure["payload"]["user_id"] == mine  # the data team learns whom to forget
    assert mine not in json.dumps([{**f, "event_id": str(f["event_id"])} for f in analytics_uow.facts.rows], default=str)
    assert all(mine not in json.dumps(m) for m in analytics_uow.stream.messages if m is not erasure)
    for rows in analytics_uow.derived.tables.values():
        assert mine not in json.dumps(list(rows.values()), default=str)
    out = handlers.export_user_data(analytics_uow, Caller(user, "job_seeker", "HDF-LILLE"), PSEUDONYM)
    assert out["facts"] == []
    after = handlers.kpis_for(analytics_uow, Caller("a", "admin", None), {"agency": "HDF-LILLE"}, NOW)
    assert after == before


def test_an_event_arriving_after_the_erasure_does_not_link_back(analytics_uow):
    user = str(uuid.uuid4())
    register(analytics_uow, user)
    record(analytics_uow, UserErased(user_id=user, erased_at=NOW))
    late = publish(analytics_uow, "HDF-LILLE", author=user)
    assert late
    messages = analytics_uow.stream.messages[-2:]
    assert all(PSEUDONYM(user) not in json.dumps(m) for m in messages)
    assert messages[0]["actor"].startswith("p_")


def test_held_texts_count_as_cases_once_each_and_their_decisions_as_decisions(analytics_uow):
    """Profiles, mentoring messages and event texts held by screening (issue 13)."""
    from datetime import timedelta

    from shared.contracts.moderation import TextDecided, TextScreened

    admin = Caller("a", "admin", None)
    before = handlers.kpis_for(analytics_uow, admin, {"agency": "HDF-LILLE"}, NOW)["moderation"]["cases_opened"]
    user, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    for version in (1, 2):  # a newer version held again: the same case
        record(analytics_uow, TextScreened(target_type="profile", target_id=user, author_id=user,
                                           agency_code="HDF-LILLE", text_version=version, verdict="held",
                                           reasons=["personal_data.phone"], case_id=case_id, screened_at=NOW))
    record(analytics_uow, TextScreened(target_type="profile", target_id=user, author_id=user, agency_code="HDF-LILLE",
                                       text_version=3, verdict="clean", reasons=[], case_id=None, screened_at=NOW))
    record(analytics_uow, TextDecided(case_id=case_id, target_type="profile", target_id=user, author_id=user,
                                      agency_code="HDF-LILLE", text_version=2, verdict="refused", reason="Numéro",
                                      decided_by=str(uuid.uuid4()), opened_at=NOW - timedelta(minutes=30),
                                      decided_at=NOW))
    figures = handlers.kpis_for(analytics_uow, admin, {"agency": "HDF-LILLE"}, NOW)["moderation"]
    assert figures["cases_opened"] == before + 1 and figures["median_minutes_to_decision"] == 30.0
