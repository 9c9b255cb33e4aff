"""analytics: published posts per agency, scoped to the caller."""
import uuid
from datetime import datetime, timezone

import pytest

from services.analytics import handlers
from shared.caller import Caller
from shared.contracts.posts import PostCreated, PostPublished
from shared.errors import Forbidden, Unauthorized

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def publish(uow, agency):
    post_id = str(uuid.uuid4())
    author = str(uuid.uuid4())
    handlers.record_post_created(uow, PostCreated(post_id=post_id, author_id=author, agency_code=agency,
                                                  kind="question", title="t", body="b", topics=[], created_at=NOW))
    handlers.record_post_published(uow, PostPublished(post_id=post_id, author_id=author, agency_code=agency,
                                                      kind="question", topics=[], published_at=NOW))


@pytest.fixture
def uow(analytics_uow):
    publish(analytics_uow, "HDF-LILLE")
    publish(analytics_uow, "HDF-LILLE")
    publish(analytics_uow, "IDF-PARIS")
    return analytics_uow


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_members_may_not_read_analytics(uow, role):
    with pytest.raises(Forbidden):
        handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), role, "HDF-LILLE"))


def test_anonymous_may_not_read_analytics(uow):
    with pytest.raises(Unauthorized):
        handlers.posts_per_agency(uow, Caller.anonymous())


def test_advisor_sees_only_own_agency(uow):
    out = handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE"))
    assert out == {"HDF-LILLE": 2}
    assert uow.post_facts.queried == ["HDF-LILLE"]


def test_advisor_without_agency_is_forbidden_rather_than_shown_all(uow):
    with pytest.raises(Forbidden):
        handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), "advisor", None))
    assert uow.post_facts.queried == []


def test_admin_sees_every_agency(uow):
    out = handlers.posts_per_agency(uow, Caller(str(uuid.uuid4()), "admin", None))
    assert out == {"HDF-LILLE": 2, "IDF-PARIS": 1}


def test_created_but_unpublished_posts_are_not_counted(analytics_uow):
    handlers.record_post_created(analytics_uow, PostCreated(
        post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code="HDF-LILLE", kind="question",
        title="t", body="b", topics=[], created_at=NOW))
    assert handlers.posts_per_agency(analytics_uow, Caller("a", "admin", None)) == {}
