"""Comments, reactions, accepted answers, pins, edits, removal and mutes, over fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.posts import conversation, handlers
from services.posts.models import Comment, Post
from shared.caller import Caller
from shared.contracts.posts import (
    AnswerAccepted, CommentCreated, PostPinned, PostRemoved, PostUpdated, ReactionAdded, ReactionRemoved,
)
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
AUTHOR = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
OTHER = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
ADVISOR = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")
FOREIGN_ADVISOR = Caller(str(uuid.uuid4()), "advisor", "ARA-LYON")
ADMIN = Caller(str(uuid.uuid4()), "admin", None)


@pytest.fixture
def uow(posts_uow):
    posts_uow.topics.add_missing([{"slug": "logistique", "label": "Logistique", "kind": "sector"},
                                  {"slug": "N1103", "label": "Magasinage et préparation de commandes", "kind": "rome"}])
    for c in (AUTHOR, OTHER, ADVISOR):
        posts_uow.authors.add(uuid.UUID(c.id), "Camille", c.role, c.agency_code)
    return posts_uow


def stored_post(uow, status="published", author=AUTHOR, kind="question") -> Post:
    post = Post(id=uuid.uuid4(), kind=kind, title="Devenir cariste", body="Par où commencer ?", topics=["logistique"],
                video_url=None, details=None, author_id=uuid.UUID(author.id), agency_code=author.agency_code,
                status=status, moderation_reason=None, created_at=NOW, updated_at=NOW, published_at=NOW,
                comment_count=0, reactions_helpful=0, reactions_thanks=0, reactions_support=0,
                accepted_comment_id=None, validated_by_advisor=False, pinned=False, revision=1,
                screenings_received=1, screening_decision=None, screening_reasons=[])
    uow.posts.add(post)
    return post


def stored_comment(uow, post, status="published", author=OTHER) -> Comment:
    comment = Comment(id=uuid.uuid4(), post_id=post.id, author_id=uuid.UUID(author.id), author_role=author.role,
                      body="Le CACES R489 d'abord.", status=status, moderation_reason=None, created_at=NOW,
                      updated_at=NOW, published_at=NOW if status == "published" else None)
    uow.comments.add(comment)
    return comment


def mute(uow, member, expires_at):
    uow.mutes.imposed(str(uuid.uuid4()), uuid.UUID(member.id), expires_at)


# ---------------------------------------------------------------- comments

def test_comment_is_pending_and_records_comment_created(uow):
    post = stored_post(uow)
    view = conversation.add_comment(uow, OTHER, str(post.id), {"body": "Le CACES d'abord."}, NOW)
    assert view["status"] == "pending" and view["post_id"] == str(post.id)
    [event] = uow.published
    assert isinstance(event, CommentCreated)
    assert (event.post_author_id, event.author_id, event.post_kind) == (AUTHOR.id, OTHER.id, "question")


@pytest.mark.parametrize("status", ["pending", "held", "rejected", "hidden", "removed"])
def test_others_cannot_comment_an_unpublished_post(uow, status):
    post = stored_post(uow, status)
    with pytest.raises(NotFound):
        conversation.add_comment(uow, OTHER, str(post.id), {"body": "Bonjour"}, NOW)
    assert uow.comments.rows == {}


def test_author_commenting_own_pending_post_is_a_conflict(uow):
    post = stored_post(uow, "pending")
    with pytest.raises(Conflict):
        conversation.add_comment(uow, AUTHOR, str(post.id), {"body": "Précision"}, NOW)


def test_comments_are_oldest_first_and_others_see_only_published(uow):
    post = stored_post(uow)
    first = stored_comment(uow, post)
    pending = stored_comment(uow, post, "pending", author=ADVISOR)
    pending.created_at = NOW + timedelta(seconds=1)
    second = stored_comment(uow, post)
    second.created_at = NOW + timedelta(seconds=2)
    ids = [c["id"] for c in conversation.list_comments(uow, OTHER, str(post.id), {})["items"]]
    assert ids == [str(first.id), str(second.id)]
    own = [c["id"] for c in conversation.list_comments(uow, ADVISOR, str(post.id), {})["items"]]
    assert own == [str(first.id), str(pending.id), str(second.id)]


def test_comment_pages_follow_the_cursor(uow):
    post = stored_post(uow)
    comments = []
    for i in range(5):
        c = stored_comment(uow, post)
        c.created_at = NOW + timedelta(seconds=i)
        comments.append(str(c.id))
    first = conversation.list_comments(uow, OTHER, str(post.id), {"limit": 2})
    second = conversation.list_comments(uow, OTHER, str(post.id), {"limit": 2, "cursor": first["next_cursor"]})
    third = conversation.list_comments(uow, OTHER, str(post.id), {"limit": 2, "cursor": second["next_cursor"]})
    seen = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert seen == comments and third["next_cursor"] is None


# ---------------------------------------------------------------- mutes

def test_muted_member_cannot_post_or_comment_until_expiry(uow):
    post = stored_post(uow)
    mute(uow, OTHER, NOW + timedelta(hours=24))
    with pytest.raises(Forbidden) as exc:
        handlers.create_post(uow, OTHER, {"kind": "question", "title": "Bonjour", "body": "Une question"}, NOW)
    assert "05/03/2025" in exc.value.detail
    with pytest.raises(Forbidden):
        conversation.add_comment(uow, OTHER, str(post.id), {"body": "Bonjour"}, NOW)
    # Expired by time, without any lift event.
    later = NOW + timedelta(hours=24, seconds=1)
    assert handlers.create_post(uow, OTHER, {"kind": "question", "title": "Bonjour", "body": "Une question"}, later)
    assert conversation.add_comment(uow, OTHER, str(post.id), {"body": "Bonjour"}, later)


def test_lifted_mute_no_longer_blocks(uow):
    sanction = str(uuid.uuid4())
    uow.mutes.imposed(sanction, uuid.UUID(OTHER.id), None)
    with pytest.raises(Forbidden):
        handlers.create_post(uow, OTHER, {"kind": "question", "title": "Bonjour", "body": "Une question"}, NOW)
    uow.mutes.lifted(sanction, uuid.UUID(OTHER.id), NOW)
    assert handlers.create_post(uow, OTHER, {"kind": "question", "title": "Bonjour", "body": "Une question"}, NOW)


# ---------------------------------------------------------------- reactions

def test_reacting_twice_counts_once_and_records_one_event(uow):
    post = stored_post(uow)
    conversation.add_reaction(uow, OTHER, str(post.id), {"type": "helpful"}, NOW)
    conversation.add_reaction(uow, OTHER, str(post.id), {"type": "helpful"}, NOW)
    conversation.add_reaction(uow, ADVISOR, str(post.id), {"type": "helpful"}, NOW)
    conversation.add_reaction(uow, OTHER, str(post.id), {"type": "thanks"}, NOW)
    assert (post.reactions_helpful, post.reactions_thanks, post.reactions_support) == (2, 1, 0)
    assert len(uow.published_of(ReactionAdded)) == 3
    assert handlers.get_post(uow, OTHER, str(post.id))["my_reactions"] == ["helpful", "thanks"]


def test_removing_a_reaction_decrements_once(uow):
    post = stored_post(uow)
    conversation.add_reaction(uow, OTHER, str(post.id), {"type": "support"}, NOW)
    conversation.remove_reaction(uow, OTHER, str(post.id), "support", NOW)
    conversation.remove_reaction(uow, OTHER, str(post.id), "support", NOW)
    assert post.reactions_support == 0
    assert len(uow.published_of(ReactionRemoved)) == 1


def test_unknown_reaction_type_is_refused(uow):
    post = stored_post(uow)
    with pytest.raises(ValidationFailed):
        conversation.add_reaction(uow, OTHER, str(post.id), {"type": "love"}, NOW)
    with pytest.raises(ValidationFailed):
        conversation.remove_reaction(uow, OTHER, str(post.id), "love", NOW)


def test_no_reaction_on_a_post_others_cannot_see(uow):
    post = stored_post(uow, "held")
    with pytest.raises(NotFound):
        conversation.add_reaction(uow, OTHER, str(post.id), {"type": "helpful"}, NOW)


# ---------------------------------------------------------------- accepted answer

def test_question_author_accepts_an_answer_not_validated_by_advisor(uow):
    post = stored_post(uow)
    comment = stored_comment(uow, post)
    view = conversation.accept_answer(uow, AUTHOR, str(post.id), {"comment_id": str(comment.id)}, NOW)
    assert view["accepted_comment_id"] == str(comment.id) and view["validated_by_advisor"] is False
    [event] = uow.published_of(AnswerAccepted)
    assert event.answer_author_id == OTHER.id and event.validated_by_advisor is False


def test_advisor_acceptance_shows_validated_by_advisor(uow):
    post = stored_post(uow)
    comment = stored_comment(uow, post)
    conversation.accept_answer(uow, AUTHOR, str(post.id), {"comment_id": str(comment.id)}, NOW)
    view = conversation.accept_answer(uow, ADVISOR, str(post.id), {"comment_id": str(comment.id)}, NOW)
    assert view["validated_by_advisor"] is True
    listed = conversation.list_comments(uow, OTHER, str(post.id), {})["items"][0]
    assert listed["accepted"] is True and listed["validated_by_advisor"] is True
    # The author accepting it again does not take the validation away.
    view = conversation.accept_answer(uow, AUTHOR, str(post.id), {"comment_id": str(comment.id)}, NOW)
    assert view["validated_by_advisor"] is True and len(uow.published_of(AnswerAccepted)) == 2


@pytest.mark.parametrize("who", [OTHER, FOREIGN_ADVISOR])
def test_others_may_not_accept(uow, who):
    post = stored_post(uow)
    comment = stored_comment(uow, post)
    with pytest.raises(Forbidden):
        conversation.accept_answer(uow, who, str(post.id), {"comment_id": str(comment.id)}, NOW)
    assert post.accepted_comment_id is None


def test_only_questions_have_an_accepted_answer(uow):
    post = stored_post(uow, kind="discussion")
    comment = stored_comment(uow, post)
    with pytest.raises(Conflict):
        conversation.accept_answer(uow, AUTHOR, str(post.id), {"comment_id": str(comment.id)}, NOW)


@pytest.mark.parametrize("case", ["pending", "other-post", "unknown", "not-a-uuid"])
def test_only_a_published_comment_of_that_question_is_accepted(uow, case):
    post = stored_post(uow)
    if case == "pending":
        comment_id = str(stored_comment(uow, post, "pending").id)
    elif case == "other-post":
        comment_id = str(stored_comment(uow, stored_post(uow)).id)
    elif case == "unknown":
        comment_id = str(uuid.uuid4())
    else:
        comment_id = "abc"
    with pytest.raises(ValidationFailed) as exc:
        conversation.accept_answer(uow, AUTHOR, str(post.id), {"comment_id": comment_id}, NOW)
    assert exc.value.errors[0]["loc"] == ["body", "comment_id"]


# ---------------------------------------------------------------- pins

def test_advisor_of_the_agency_pins_and_unpins(uow):
    post = stored_post(uow)
    conversation.set_pinned(uow, ADVISOR, str(post.id), True, NOW)
    conversation.set_pinned(uow, ADVISOR, str(post.id), True, NOW)
    assert post.pinned is True
    conversation.set_pinned(uow, ADMIN, str(post.id), False, NOW)
    assert post.pinned is False
    assert [e.pinned for e in uow.published_of(PostPinned)] == [True, False]


@pytest.mark.parametrize("who", [OTHER, AUTHOR, FOREIGN_ADVISOR])
def test_others_may_not_pin(uow, who):
    post = stored_post(uow)
    with pytest.raises(Forbidden):
        conversation.set_pinned(uow, who, str(post.id), True, NOW)


# ---------------------------------------------------------------- edits and removal

def test_edit_goes_back_to_pending_and_records_post_updated(uow):
    post = stored_post(uow)
    view = handlers.edit_post(uow, AUTHOR, str(post.id), {"body": "Nouveau texte", "topics": ["N1103"]}, NOW)
    assert view["status"] == "pending" and view["body"] == "Nouveau texte" and view["topics"] == ["N1103"]
    assert post.revision == 2
    [event] = uow.published
    assert isinstance(event, PostUpdated) and event.body == "Nouveau texte"


def test_edit_without_change_is_not_screened_again(uow):
    post = stored_post(uow)
    view = handlers.edit_post(uow, AUTHOR, str(post.id), {"title": "Devenir cariste"}, NOW)
    assert view["status"] == "published" and uow.published == []


@pytest.mark.parametrize("data", [{"kind": "video"}, {"status": "published"}, {}, {"topics": ["astrologie"]}])
def test_edit_refuses_other_fields_and_unknown_topics(uow, data):
    post = stored_post(uow)
    with pytest.raises(ValidationFailed):
        handlers.edit_post(uow, AUTHOR, str(post.id), data, NOW)
    assert post.status == "published"


def test_only_author_or_admin_edit(uow):
    post = stored_post(uow)
    with pytest.raises(Forbidden):
        handlers.edit_post(uow, ADVISOR, str(post.id), {"body": "Autre"}, NOW)
    assert handlers.edit_post(uow, ADMIN, str(post.id), {"body": "Corrigé"}, NOW)["status"] == "pending"


@pytest.mark.parametrize("who", [AUTHOR, ADVISOR, ADMIN])
def test_author_advisor_of_agency_and_admin_remove(uow, who):
    post = stored_post(uow)
    handlers.remove_post(uow, who, str(post.id), NOW)
    handlers.remove_post(uow, who, str(post.id), NOW)
    assert post.status == "removed"
    [event] = uow.published_of(PostRemoved)
    assert event.removed_by == who.id
    with pytest.raises(NotFound):
        handlers.get_post(uow, OTHER, str(post.id))


@pytest.mark.parametrize("who", [OTHER, FOREIGN_ADVISOR])
def test_others_may_not_remove(uow, who):
    post = stored_post(uow)
    with pytest.raises(Forbidden):
        handlers.remove_post(uow, who, str(post.id), NOW)
    assert post.status == "published"


def test_removing_an_unpublished_post_of_someone_else_is_not_found(uow):
    post = stored_post(uow, "held")
    with pytest.raises(NotFound):
        handlers.remove_post(uow, OTHER, str(post.id), NOW)


# ---------------------------------------------------------------- topics

def test_admin_adds_a_topic_once(uow):
    topic = handlers.add_topic(uow, ADMIN, {"slug": "M1607", "label": "Secrétariat", "kind": "rome"})
    assert topic == {"slug": "M1607", "label": "Secrétariat", "kind": "rome"}
    with pytest.raises(Conflict):
        handlers.add_topic(uow, ADMIN, {"slug": "M1607", "label": "Secrétariat", "kind": "rome"})


@pytest.mark.parametrize("data", [{"slug": "m1607", "label": "Secrétariat", "kind": "rome"},
                                  {"slug": "Santé", "label": "Santé", "kind": "sector"}])
def test_topic_slugs_are_checked(uow, data):
    with pytest.raises(ValidationFailed):
        handlers.add_topic(uow, ADMIN, data)


def test_only_admins_add_topics(uow):
    with pytest.raises(Forbidden):
        handlers.add_topic(uow, ADVISOR, {"slug": "agriculture", "label": "Agriculture", "kind": "sector"})
