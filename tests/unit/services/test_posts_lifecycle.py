"""Moderation and identity events moving posts, comments, mutes and authors, over fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.posts import handlers, lifecycle
from services.posts.models import Comment, Post
from shared.caller import Caller
from shared.contracts.identity import ProfileUpdated, UserErased
from shared.contracts.moderation import CaseDecided, ContentScreened, SanctionImposed, SanctionLifted, TargetHidden
from shared.contracts.posts import (
    CommentHeld, CommentHidden, CommentPublished, PostHidden, PostPublished, PostRejected,
)

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
AUTHOR = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
OTHER = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
ADVISOR = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")


@pytest.fixture
def uow(posts_uow):
    posts_uow.topics.add_missing([{"slug": "logistique", "label": "Logistique", "kind": "sector"}])
    for c in (AUTHOR, OTHER, ADVISOR):
        posts_uow.authors.add(uuid.UUID(c.id), "Camille", c.role, c.agency_code)
    return posts_uow


def new_post(uow, body="Par où commencer ?") -> Post:
    view = handlers.create_post(uow, AUTHOR, {"kind": "question", "title": "Devenir cariste", "body": body,
                                               "topics": ["logistique"]}, NOW)
    return uow.posts.get(uuid.UUID(view["id"]))


def screened(target_id, decision="publish", reasons=(), target_type="post") -> ContentScreened:
    return ContentScreened(target_type=target_type, target_id=str(target_id), decision=decision,
                           reasons=list(reasons), screened_at=NOW)


def decided(target_id, action, target_type="post") -> CaseDecided:
    return CaseDecided(case_id=str(uuid.uuid4()), target_type=target_type, target_id=str(target_id),
                       target_author_id=AUTHOR.id, agency_code="HDF-LILLE", source="screening", action=action,
                       reason="Propos conformes à la charte.", decided_by=ADVISOR.id, opened_at=NOW, decided_at=NOW)


def pending_comment(uow, post) -> Comment:
    comment = Comment(id=uuid.uuid4(), post_id=post.id, author_id=uuid.UUID(OTHER.id), author_role="job_seeker",
                      body="Réponse", status="pending", created_at=NOW, updated_at=NOW)
    uow.comments.add(comment)
    return comment


# ---------------------------------------------------------------- screening of edits

def test_edit_of_a_published_post_is_published_again_after_its_screening(uow):
    post = new_post(uow)
    lifecycle.apply_screening(uow, screened(post.id), NOW)
    handlers.edit_post(uow, AUTHOR, str(post.id), {"body": "Texte revu"}, NOW)
    assert post.status == "pending"
    lifecycle.apply_screening(uow, screened(post.id, "hold", ["personal_data.phone"]), NOW)
    assert post.status == "held" and "téléphone" in post.moderation_reason


@pytest.mark.parametrize("first, second", [("publish", "hold"), ("hold", "publish")])
def test_edit_before_screening_waits_for_both_screenings_and_keeps_the_most_severe(uow, first, second):
    post = new_post(uow)
    handlers.edit_post(uow, AUTHOR, str(post.id), {"body": "Appelez-moi"}, NOW)
    lifecycle.apply_screening(uow, screened(post.id, first, ["personal_data.phone"] if first == "hold" else []), NOW)
    assert post.status == "pending"  # the other text is not screened yet
    lifecycle.apply_screening(uow, screened(post.id, second, ["personal_data.phone"] if second == "hold" else []), NOW)
    assert post.status == "held"
    assert not uow.published_of(PostPublished)


# ---------------------------------------------------------------- decisions and hiding

@pytest.mark.parametrize("start, action, status", [
    ("held", "approve", "published"), ("held", "reject", "rejected"), ("published", "hide", "hidden"),
    ("hidden", "approve", "published"), ("rejected", "approve", "published"),
])
def test_a_persons_decision_sets_the_post_status(uow, start, action, status):
    post = new_post(uow)
    post.status, post.screenings_received = start, 1
    lifecycle.apply_decision(uow, decided(post.id, action), NOW)
    assert post.status == status
    if status == "rejected":
        assert post.moderation_reason == "Propos conformes à la charte."
        assert uow.events and isinstance(uow.events[-1], PostRejected)


@pytest.mark.parametrize("start", ["pending", "removed"])
def test_decisions_leave_pending_and_removed_posts_alone(uow, start):
    post = new_post(uow)
    post.status = start
    uow.events.clear()
    lifecycle.apply_decision(uow, decided(post.id, "approve"), NOW)
    assert post.status == start and uow.events == []


def test_reported_post_is_hidden(uow):
    post = new_post(uow)
    lifecycle.apply_screening(uow, screened(post.id), NOW)
    lifecycle.apply_hiding(uow, TargetHidden(case_id="c1", target_type="post", target_id=str(post.id),
                                             target_author_id=AUTHOR.id, agency_code="HDF-LILLE", hidden_at=NOW), NOW)
    assert post.status == "hidden" and isinstance(uow.events[-1], PostHidden)


# ---------------------------------------------------------------- comments

def test_published_comment_counts_and_records_comment_published(uow):
    post = new_post(uow)
    comment = pending_comment(uow, post)
    lifecycle.apply_screening(uow, screened(comment.id, target_type="comment"), NOW)
    lifecycle.apply_screening(uow, screened(comment.id, target_type="comment"), NOW)
    assert comment.status == "published" and post.comment_count == 1
    [event] = [e for e in uow.events if isinstance(e, CommentPublished)]
    assert event.post_author_id == AUTHOR.id and event.author_role == "job_seeker"


def test_held_comment_does_not_count_and_carries_the_reason(uow):
    post = new_post(uow)
    comment = pending_comment(uow, post)
    lifecycle.apply_screening(uow, screened(comment.id, "hold", ["personal_data.email"], "comment"), NOW)
    assert comment.status == "held" and post.comment_count == 0
    assert "adresse e-mail" in comment.moderation_reason and isinstance(uow.events[-1], CommentHeld)


def test_hiding_an_accepted_comment_uncounts_it_and_clears_the_acceptance(uow):
    post = new_post(uow)
    comment = pending_comment(uow, post)
    lifecycle.apply_screening(uow, screened(comment.id, target_type="comment"), NOW)
    post.accepted_comment_id = comment.id
    lifecycle.apply_decision(uow, decided(comment.id, "hide", "comment"), NOW)
    assert comment.status == "hidden" and post.comment_count == 0 and post.accepted_comment_id is None
    assert isinstance(uow.events[-1], CommentHidden)
    lifecycle.apply_decision(uow, decided(comment.id, "approve", "comment"), NOW)
    assert comment.status == "published" and post.comment_count == 1


# ---------------------------------------------------------------- mutes

def test_mute_events_fill_the_local_table_whatever_their_order(uow):
    member = uuid.UUID(OTHER.id)
    lifted = SanctionLifted(sanction_id="s1", user_id=OTHER.id, type="mute", lifted_at=NOW)
    imposed = SanctionImposed(sanction_id="s1", user_id=OTHER.id, agency_code="HDF-LILLE", type="mute",
                              reason="Flood", expires_at=NOW + timedelta(days=1), imposed_by=ADVISOR.id, imposed_at=NOW)
    lifecycle.forget_sanction(uow, lifted)
    lifecycle.remember_sanction(uow, imposed)
    assert uow.mutes.active(member, NOW) == []
    lifecycle.remember_sanction(uow, imposed.model_copy(update={"sanction_id": "s2"}))
    assert len(uow.mutes.active(member, NOW)) == 1


def test_warnings_and_suspensions_are_not_mutes(uow):
    for kind in ("warn", "suspend"):
        lifecycle.remember_sanction(uow, SanctionImposed(
            sanction_id=kind, user_id=OTHER.id, agency_code=None, type=kind, reason="x", expires_at=None,
            imposed_by=ADVISOR.id, imposed_at=NOW))
    assert uow.mutes.active(uuid.UUID(OTHER.id), NOW) == []


# ---------------------------------------------------------------- members and GDPR

def test_profile_updates_rename_and_set_feed_topics(uow):
    uow.authors.rename(ProfileUpdated(user_id=AUTHOR.id, display_name="Camille M.",
                                                   topics=["logistique"], updated_at=NOW))
    author = uow.authors.get(uuid.UUID(AUTHOR.id))
    assert author.display_name == "Camille M." and author.topics == ["logistique"]


def test_erased_member_shows_as_deleted_and_loses_personal_data(uow):
    post = new_post(uow)
    lifecycle.apply_screening(uow, screened(post.id), NOW)
    uow.reactions.add(post.id, uuid.UUID(AUTHOR.id), "thanks", NOW)
    uow.mutes.imposed("s1", uuid.UUID(AUTHOR.id), None)
    lifecycle.forget_member(uow, UserErased(user_id=AUTHOR.id, erased_at=NOW), NOW)
    view = handlers.get_post(uow, OTHER, str(post.id))
    assert view["author"] == {"id": None, "display_name": "Membre supprimé"}
    author = uow.authors.get(uuid.UUID(AUTHOR.id))
    assert author.display_name is None and not author.topics
    assert uow.reactions.by_user(uuid.UUID(AUTHOR.id)) == [] and uow.mutes.of_user(uuid.UUID(AUTHOR.id)) == []
    # A late profile event does not bring the name back.
    uow.authors.rename(ProfileUpdated(user_id=AUTHOR.id, display_name="Camille", topics=[], updated_at=NOW))
    assert uow.authors.get(uuid.UUID(AUTHOR.id)).display_name is None


def test_erased_members_content_moves_to_a_fresh_author_id_the_old_id_no_longer_finds(uow):
    post = new_post(uow)
    lifecycle.apply_screening(uow, screened(post.id), NOW)
    comment = pending_comment(uow, post)
    comment.author_id = uuid.UUID(AUTHOR.id)
    lifecycle.forget_member(uow, UserErased(user_id=AUTHOR.id, erased_at=NOW), NOW)
    assert uow.posts.by_author(uuid.UUID(AUTHOR.id)) == []
    new_id = post.author_id
    assert new_id != uuid.UUID(AUTHOR.id) and uow.authors.get(new_id).erased_at is not None
    assert comment.author_id == new_id and uow.comments.by_author(uuid.UUID(AUTHOR.id)) == []
    assert handlers.get_post(uow, OTHER, str(post.id))["author"] == {"id": None, "display_name": "Membre supprimé"}
    # A replayed erasure moves nothing and leaves the content where it is.
    lifecycle.forget_member(uow, UserErased(user_id=AUTHOR.id, erased_at=NOW), NOW)
    assert post.author_id == new_id


def test_export_returns_the_callers_posts_comments_and_reactions(uow):
    post = new_post(uow)
    other_post = new_post(uow)
    comment = pending_comment(uow, post)
    uow.reactions.add(post.id, uuid.UUID(OTHER.id), "helpful", NOW)
    data = handlers.export_user_data(uow, OTHER)
    assert data["posts"] == []
    assert [c["id"] for c in data["comments"]] == [str(comment.id)]
    assert data["reactions"] == [{"post_id": str(post.id), "type": "helpful", "created_at": NOW.isoformat()}]
    mine = handlers.export_user_data(uow, AUTHOR)
    assert {p["id"] for p in mine["posts"]} == {str(post.id), str(other_post.id)}
    assert mine["profile"]["display_name"] == "Camille"
