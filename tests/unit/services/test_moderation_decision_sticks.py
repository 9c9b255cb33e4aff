"""A person's decision sticks (issue 12, item 3): editing content that
reports or a decision took out of view sends it back to the moderators (its
open case updated, or a new one), never straight to published; reporters are
told the outcome once."""
import uuid
from datetime import timedelta

from services.moderation import handlers
from services.moderation.domain import EDITED_AFTER_DECISION, needs_a_person
from services.moderation.screening import default_screener
from shared.contracts.moderation import CaseOpened, ContentScreened, ReportResolved
from shared.contracts.posts import PostCreated, PostUpdated
from tests.unit.services.test_moderation_workflow import LILLE, NOW, member, published_post, report

LATER = NOW + timedelta(hours=1)


def edit(uow, author, post_id, body="Bonjour à tous !", at=LATER, title="Un sujet") -> ContentScreened:
    result = handlers.screen_post(
        uow, PostUpdated(post_id=post_id, author_id=author.id, agency_code=author.agency_code, kind="discussion",
                         title=title, body=body, topics=[], updated_at=at),
        at, default_screener())
    uow.commit()
    return result


def hidden_by_reports(uow):
    author = member(uow)
    post = published_post(uow, author)
    reporters = [member(uow) for _ in range(3)]
    for r in reporters:
        report(uow, r, post)
    return author, post, reporters


def decide(uow, case, action, at=LATER):
    return handlers.decide(uow, member(uow, "advisor", LILLE), str(case.id), {"action": action, "reason": "Vu"}, at)


def test_a_post_hidden_by_reports_and_edited_by_one_character_stays_with_the_moderators(moderation_uow):
    author, post, _ = hidden_by_reports(moderation_uow)
    [case] = moderation_uow.cases.rows
    result = edit(moderation_uow, author, post, body="Bonjour à tous.")  # one character changed, nothing to find
    assert (result.decision, result.case_id) == ("hold", str(case.id))
    assert EDITED_AFTER_DECISION in result.reasons
    [same] = moderation_uow.cases.rows  # its open case updated, no second one
    assert (same.status, same.source) == ("open", "reports")
    assert EDITED_AFTER_DECISION in same.reasons and "report.abuse" in same.reasons
    assert moderation_uow.audit.rows[-1].action == "edited_after_decision"


def test_a_post_a_moderator_hid_or_rejected_goes_back_to_them_in_a_new_case(moderation_uow):
    for action in ("hide", "reject"):
        author, post, _ = hidden_by_reports(moderation_uow)
        [case] = [c for c in moderation_uow.cases.rows if str(c.target_id) == post]
        decide(moderation_uow, case, action)
        opened = len(moderation_uow.published_of(CaseOpened))
        result = edit(moderation_uow, author, post, at=LATER + timedelta(minutes=5))
        assert result.decision == "hold"
        [old, new] = [c for c in moderation_uow.cases.rows if str(c.target_id) == post]
        assert (old.status, old.action) == ("decided", action)
        assert (new.status, str(new.id), new.source) == ("open", result.case_id, "screening")
        assert EDITED_AFTER_DECISION in new.reasons and "report.abuse" in new.reasons  # what it was about
        assert len(moderation_uow.published_of(CaseOpened)) == opened + 1  # the advisors' queue


def test_an_automatic_rejection_is_not_undone_by_an_edit(moderation_uow):
    author = member(moderation_uow)
    text = "Je vends des formations CACES à prix cassé, contactez-moi vite"
    published_post(moderation_uow, author, body=text)
    duplicate = str(uuid.uuid4())
    first = handlers.screen_post(moderation_uow, PostCreated(
        post_id=duplicate, author_id=author.id, agency_code=LILLE, kind="discussion", title="Un sujet", body=text,
        topics=[], created_at=NOW + timedelta(minutes=1)), NOW + timedelta(minutes=1), default_screener())
    assert first.decision == "reject"
    result = edit(moderation_uow, author, duplicate, body=text + " !")  # no longer the same text
    assert result.decision == "hold" and EDITED_AFTER_DECISION in result.reasons


def test_an_edit_after_an_approval_is_screened_as_usual(moderation_uow):
    author, post, _ = hidden_by_reports(moderation_uow)
    [case] = moderation_uow.cases.rows
    decide(moderation_uow, case, "approve")
    assert edit(moderation_uow, author, post).decision == "publish"
    assert edit(moderation_uow, author, post, body="06 12 34 56 78", at=LATER + timedelta(minutes=1)).decision == "hold"


def test_an_edit_while_held_by_screening_alone_is_screened_again(moderation_uow):
    """Nobody has judged it yet: removing what screening found publishes it (api.md)."""
    author = member(moderation_uow)
    post = str(uuid.uuid4())
    handlers.screen_post(moderation_uow, PostCreated(
        post_id=post, author_id=author.id, agency_code=LILLE, kind="discussion", title="Un sujet",
        body="Appelez le 06 12 34 56 78", topics=[], created_at=NOW), NOW, default_screener())
    assert edit(moderation_uow, author, post).decision == "publish"
    assert moderation_uow.cases.rows[0].status == "closed"


def test_a_new_case_after_a_decision_is_sticky_until_a_person_approves(moderation_uow):
    author, post, _ = hidden_by_reports(moderation_uow)
    decide(moderation_uow, moderation_uow.cases.rows[0], "hide")
    edit(moderation_uow, author, post, at=LATER + timedelta(minutes=1))
    # Edited again while the new case waits: still held, still one open case.
    result = edit(moderation_uow, author, post, body="Autre texte", at=LATER + timedelta(minutes=2))
    assert result.decision == "hold"
    assert [c.status for c in moderation_uow.cases.rows] == ["decided", "open"]


def test_reporters_are_told_the_outcome_once(moderation_uow):
    author, post, reporters = hidden_by_reports(moderation_uow)
    edit(moderation_uow, author, post)  # while the reports case is open
    decide(moderation_uow, moderation_uow.cases.rows[0], "hide")
    assert sorted(e.reporter_id for e in moderation_uow.published_of(ReportResolved)) == sorted(r.id for r in reporters)
    edit(moderation_uow, author, post, at=LATER + timedelta(minutes=5))
    new = moderation_uow.cases.rows[-1]
    decide(moderation_uow, new, "approve", at=LATER + timedelta(minutes=10))
    assert len(moderation_uow.published_of(ReportResolved)) == len(reporters)  # not told twice


def test_needs_a_person_rule():
    assert needs_a_person("reports", None) and needs_a_person("appeal", None)
    assert needs_a_person(None, "hide") and needs_a_person(None, "reject") and needs_a_person("screening", "reject")
    assert not needs_a_person("screening", None) and not needs_a_person(None, "approve")
    assert not needs_a_person(None, None)
