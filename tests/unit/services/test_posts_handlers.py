"""posts use cases over in-memory fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.posts import handlers, lifecycle
from services.posts.models import Post
from shared.caller import Caller
from shared.contracts.identity import UserRegistered
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated, PostHeld, PostPublished, PostRejected
from shared.errors import Forbidden, NotFound, Unauthorized, ValidationFailed

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(seconds=1)
AUTHOR = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
OTHER = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
COMPANY = Caller(str(uuid.uuid4()), "company", None)

TOPICS = [
    {"slug": "logistique", "label": "Logistique", "kind": "sector"},
    {"slug": "N1101", "label": "Conduite d'engins de déplacement des charges", "kind": "rome"},
]


@pytest.fixture
def uow(posts_uow):
    posts_uow.topics.add_missing(TOPICS)
    for c in (AUTHOR, OTHER, COMPANY):
        posts_uow.authors.add(uuid.UUID(c.id), "Camille", c.role, c.agency_code)
    return posts_uow


def question(**overrides) -> dict:
    return {"kind": "question", "title": "Devenir cariste", "body": "Par où commencer ?", "topics": ["logistique"],
            **overrides}


def stored_post(uow, status="pending", author=AUTHOR, reason=None, kind="question") -> Post:
    post = Post(id=uuid.uuid4(), kind=kind, title="Devenir cariste", body="Par où commencer ?",
                topics=["logistique"], video_url=None, details=None, author_id=uuid.UUID(author.id),
                agency_code=author.agency_code, status=status, moderation_reason=reason, created_at=NOW,
                updated_at=NOW, published_at=None, comment_count=0, reactions_helpful=0, reactions_thanks=0,
                reactions_support=0, accepted_comment_id=None, validated_by_advisor=False, pinned=False,
                revision=1, screenings_received=0 if status == "pending" else 1, screening_decision=None,
                screening_reasons=[])
    uow.posts.add(post)
    return post


def screened(post_id, decision="publish", reasons=(), target_type="post") -> ContentScreened:
    return ContentScreened(target_type=target_type, target_id=str(post_id), decision=decision,
                           reasons=list(reasons), screened_at=NOW)


# ---------------------------------------------------------------- create_post

def test_create_post_is_pending_and_records_post_created(uow):
    view = handlers.create_post(uow, AUTHOR, question(), NOW)

    assert view["status"] == "pending"
    assert view["author"] == {"id": AUTHOR.id, "display_name": "Camille"}
    assert view["agency_code"] == "HDF-LILLE"
    assert uow.committed
    assert uow.published == [
        PostCreated(post_id=view["id"], author_id=AUTHOR.id, agency_code="HDF-LILLE", kind="question",
                    title="Devenir cariste", body="Par où commencer ?", topics=["logistique"], created_at=NOW)
    ]
    assert uow.posts.get(uuid.UUID(view["id"])).status == "pending"


def test_create_post_needs_a_caller(uow):
    with pytest.raises(Unauthorized):
        handlers.create_post(uow, Caller.anonymous(), question(), NOW)


@pytest.mark.parametrize("kind, extra", [("job_info", {}), ("video", {"video_url": "https://v.exemple.fr/1"})])
def test_job_seeker_may_not_post_job_sheets_or_videos(uow, kind, extra):
    with pytest.raises(Forbidden):
        handlers.create_post(uow, AUTHOR, question(kind=kind, **extra), NOW)
    assert not uow.all_events() and uow.posts.rows == {}


def test_company_posts_a_job_sheet_with_details(uow):
    details = {"rome_code": "N1101", "skills": ["CACES R489"], "hiring": True}
    view = handlers.create_post(uow, COMPANY, question(kind="job_info", details=details), NOW)
    assert view["kind"] == "job_info" and view["details"]["rome_code"] == "N1101"


def test_company_posts_a_video_with_an_https_link(uow):
    view = handlers.create_post(uow, COMPANY, question(kind="video", video_url="https://v.exemple.fr/1"), NOW)
    assert view["video_url"] == "https://v.exemple.fr/1"


@pytest.mark.parametrize("video_url", [None, "http://v.exemple.fr/1"])
def test_video_without_https_link_fails_validation(uow, video_url):
    with pytest.raises(ValidationFailed):
        handlers.create_post(uow, COMPANY, question(kind="video", video_url=video_url), NOW)


def test_details_are_for_job_sheets_only(uow):
    with pytest.raises(ValidationFailed):
        handlers.create_post(uow, AUTHOR, question(details={"hiring": True}), NOW)


def test_unknown_topic_fails_validation(uow):
    with pytest.raises(ValidationFailed) as exc:
        handlers.create_post(uow, AUTHOR, question(topics=["logistique", "astrologie"]), NOW)
    assert exc.value.errors[0]["loc"] == ["body", "topics"]
    assert "astrologie" in exc.value.errors[0]["msg"]
    assert not uow.all_events()


def test_duplicate_topics_are_kept_once(uow):
    view = handlers.create_post(uow, AUTHOR, question(topics=["logistique", "N1101", "logistique"]), NOW)
    assert view["topics"] == ["logistique", "N1101"]


def test_create_post_refuses_a_status_field(uow):
    with pytest.raises(ValidationFailed):
        handlers.create_post(uow, AUTHOR, question(status="published"), NOW)


# ---------------------------------------------------------------- get_post

@pytest.mark.parametrize("status", ["pending", "held", "rejected"])
def test_others_do_not_see_unpublished_posts(uow, status):
    post = stored_post(uow, status)
    with pytest.raises(NotFound):
        handlers.get_post(uow, OTHER, str(post.id))


def test_others_see_published_posts_without_moderation_reason(uow):
    post = stored_post(uow, "published")
    view = handlers.get_post(uow, OTHER, str(post.id))
    assert view["id"] == str(post.id) and "moderation_reason" not in view


def test_author_sees_own_held_post_with_the_reason(uow):
    post = stored_post(uow, "held", reason="Le texte contient un numéro de téléphone.")
    view = handlers.get_post(uow, AUTHOR, str(post.id))
    assert view["status"] == "held"
    assert view["moderation_reason"] == "Le texte contient un numéro de téléphone."


def test_author_sees_own_pending_post(uow):
    post = stored_post(uow, "pending")
    assert handlers.get_post(uow, AUTHOR, str(post.id))["status"] == "pending"


@pytest.mark.parametrize("post_id", ["pas-un-uuid", "", str(uuid.uuid4())])
def test_malformed_or_unknown_id_is_not_found(uow, post_id):
    with pytest.raises(NotFound):
        handlers.get_post(uow, AUTHOR, post_id)


# ---------------------------------------------------------------- apply_screening

def test_publish_decision_publishes_and_records_post_published(uow):
    post = stored_post(uow)

    lifecycle.apply_screening(uow, screened(post.id), LATER)

    assert post.status == "published" and post.published_at == LATER
    assert uow.events == [
        PostPublished(post_id=str(post.id), author_id=AUTHOR.id, agency_code="HDF-LILLE", kind="question",
                      topics=["logistique"], published_at=LATER)
    ]


def test_hold_decision_holds_with_a_french_reason_and_records_post_held(uow):
    post = stored_post(uow)

    lifecycle.apply_screening(uow, screened(post.id, "hold", ["personal_data.phone"]), LATER)

    assert post.status == "held" and post.published_at is None
    assert post.moderation_reason == "Le texte contient un numéro de téléphone."
    assert uow.events == [
        PostHeld(post_id=str(post.id), author_id=AUTHOR.id, agency_code="HDF-LILLE",
                 reasons=["personal_data.phone"])
    ]


def test_reject_decision_records_post_rejected(uow):
    post = stored_post(uow)
    lifecycle.apply_screening(uow, screened(post.id, "reject", ["abuse"]), LATER)
    assert post.status == "rejected" and [type(e) for e in uow.events] == [PostRejected]


@pytest.mark.parametrize("status", ["published", "held", "removed"])
def test_screening_of_a_post_no_longer_pending_is_ignored(uow, status):
    post = stored_post(uow, status)
    lifecycle.apply_screening(uow, screened(post.id, "hold", ["personal_data.email"]), LATER)
    assert post.status == status and uow.events == []


def test_screening_of_a_comment_is_ignored(uow):
    post = stored_post(uow)
    lifecycle.apply_screening(uow, screened(post.id, target_type="comment"), LATER)
    assert post.status == "pending" and uow.events == [] and uow.posts.locked == []


def test_screening_of_an_unknown_post_is_ignored(uow):
    lifecycle.apply_screening(uow, screened(uuid.uuid4()), LATER)
    assert uow.events == []


def test_screening_delivered_twice_publishes_once(uow):
    post = stored_post(uow)
    lifecycle.apply_screening(uow, screened(post.id), LATER)
    lifecycle.apply_screening(uow, screened(post.id), LATER + timedelta(seconds=5))
    assert len(uow.events) == 1 and post.published_at == LATER


# ---------------------------------------------------------------- authors and topics

def test_registered_user_becomes_a_known_author(posts_uow):
    user_id = uuid.uuid4()
    posts_uow.authors.remember(UserRegistered(user_id=str(user_id), email="d@exemple.fr", display_name="Dominique",
                                                       role="company", agency_code=None, registered_at=NOW))
    assert posts_uow.authors.get(user_id).display_name == "Dominique"


def test_seed_topics_adds_only_the_missing(posts_uow):
    assert handlers.seed_topics(posts_uow, TOPICS) == 2
    assert handlers.seed_topics(posts_uow, TOPICS) == 0
    assert sorted(t["slug"] for t in handlers.list_topics(posts_uow)) == ["N1101", "logistique"]


# ---------------------------------------------------------------- bugs found

def test_blank_title_is_refused(uow):
    with pytest.raises(ValidationFailed):
        handlers.create_post(uow, AUTHOR, question(title="     "), NOW)


def test_blank_body_is_refused(uow):
    with pytest.raises(ValidationFailed):
        handlers.create_post(uow, AUTHOR, question(body=" \n\t "), NOW)
