"""moderation: reports, queues, decisions, sanctions, appeals, audit, unanswered questions, GDPR."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.moderation import handlers, metrics
from services.moderation.models import ERASED_USER
from services.moderation.screening import default_screener
from shared.caller import Caller
from shared.contracts.identity import UserErased, UserRegistered
from shared.contracts.moderation import (
    AppealFiled, CaseDecided, CaseOpened, QuestionUnanswered, ReportResolved, SanctionImposed, SanctionLifted,
    TargetHidden,
)
from shared.contracts.posts import CommentPublished, PostCreated, PostPublished, PostRemoved
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
LILLE, AMIENS = "HDF-LILLE", "HDF-AMIENS"


def member(uow, role="job_seeker", agency=LILLE) -> Caller:
    user = Caller(str(uuid.uuid4()), role, agency)
    uow.members.remember(UserRegistered(user_id=user.id, email="x@exemple.fr", display_name="X", role=role,
                                                 agency_code=agency, registered_at=NOW))
    return user


ADMIN = Caller(str(uuid.uuid4()), "admin", None)


def published_post(uow, author: Caller, kind="discussion", title="Un sujet", body="Bonjour à tous", at=NOW) -> str:
    post_id = str(uuid.uuid4())
    handlers.screen_post(uow, PostCreated(post_id=post_id, author_id=author.id, agency_code=author.agency_code,
                                          kind=kind, title=title, body=body, topics=[], created_at=at),
                         at, default_screener())
    handlers.post_published(uow, PostPublished(post_id=post_id, author_id=author.id, agency_code=author.agency_code,
                                               kind=kind, topics=[], published_at=at))
    uow.commit()
    return post_id


def report(uow, reporter, target_id, reason="abuse", target_type="post"):
    return handlers.report(uow, reporter, {"target_type": target_type, "target_id": target_id, "reason": reason}, NOW, 3)


def held_case(uow, author: Caller):
    handlers.screen_post(uow, PostCreated(post_id=str(uuid.uuid4()), author_id=author.id,
                                          agency_code=author.agency_code, kind="question", title="Aide",
                                          body="Appelez le 06 12 34 56 78", topics=[], created_at=NOW),
                         NOW, default_screener())
    uow.commit()
    return uow.cases.rows[-1]


# ---------------------------------------------------------------- reports


def test_a_report_is_received_once_per_member_and_target(moderation_uow):
    author, reporter = member(moderation_uow), member(moderation_uow)
    post = published_post(moderation_uow, author)
    view = report(moderation_uow, reporter, post)
    assert (view["target_id"], view["reason"], view["status"]) == (post, "abuse", "received")
    with pytest.raises(Conflict):
        report(moderation_uow, reporter, post, reason="spam")


@pytest.mark.parametrize("status", ["pending", "held", "hidden", "removed"])
def test_reporting_something_not_visible_is_not_found(moderation_uow, status):
    author = member(moderation_uow)
    post = published_post(moderation_uow, author)
    moderation_uow.targets.get("post", uuid.UUID(post)).status = status
    with pytest.raises(NotFound):
        report(moderation_uow, member(moderation_uow), post)


def test_reporting_an_unknown_target_or_a_bad_id_is_not_found(moderation_uow):
    for target in (str(uuid.uuid4()), "pas-un-id"):
        with pytest.raises(NotFound):
            report(moderation_uow, member(moderation_uow), target)


def test_a_report_is_validated_and_needs_a_caller(moderation_uow):
    with pytest.raises(ValidationFailed) as error:
        handlers.report(moderation_uow, member(moderation_uow), {"target_type": "post", "target_id": "x",
                                                                 "reason": "boring"}, NOW, 3)
    assert error.value.errors[0]["loc"] == ["body", "reason"]
    with pytest.raises(Unauthorized):
        report(moderation_uow, Caller.anonymous(), str(uuid.uuid4()))


def test_reporting_ones_own_content_is_forbidden(moderation_uow):
    author = member(moderation_uow)
    with pytest.raises(Forbidden):
        report(moderation_uow, author, published_post(moderation_uow, author))


def test_the_third_distinct_reporter_hides_the_target_and_opens_a_reports_case(moderation_uow):
    author = member(moderation_uow)
    post = published_post(moderation_uow, author, title="Arnaque")
    report(moderation_uow, member(moderation_uow), post, "spam")
    report(moderation_uow, member(moderation_uow), post, "abuse")
    assert moderation_uow.published_of(TargetHidden) == [] and moderation_uow.cases.count_open() == 0
    report(moderation_uow, member(moderation_uow), post, "spam")

    [case] = moderation_uow.cases.rows
    assert (case.source, case.status, case.reasons) == ("reports", "open", ["report.spam", "report.abuse"])
    assert moderation_uow.published_of(TargetHidden) == [
        TargetHidden(case_id=str(case.id), target_type="post", target_id=post, target_author_id=author.id,
                     agency_code=LILLE, hidden_at=NOW)
    ]
    assert len(moderation_uow.published_of(CaseOpened)) == 1
    assert moderation_uow.targets.get("post", uuid.UUID(post)).status == "hidden"
    with pytest.raises(NotFound):  # hidden now: no longer reportable
        report(moderation_uow, member(moderation_uow), post)


# ---------------------------------------------------------------- queue


def test_an_advisor_sees_only_their_agencys_queue_and_an_admin_sees_all(moderation_uow):
    lille_case = held_case(moderation_uow, member(moderation_uow, agency=LILLE))
    amiens_case = held_case(moderation_uow, member(moderation_uow, agency=AMIENS))
    advisor = member(moderation_uow, "advisor", LILLE)

    page = handlers.queue(moderation_uow, advisor, {})
    assert [item["id"] for item in page["items"]] == [str(lille_case.id)]
    item = page["items"][0]
    assert {"id", "target_type", "target_id", "agency_code", "reasons", "source", "excerpt", "created_at"} <= set(item)
    assert (item["source"], item["reasons"], item["agency_code"]) == ("screening", ["personal_data.phone"], LILLE)
    assert {i["id"] for i in handlers.queue(moderation_uow, ADMIN, {})["items"]} == {str(lille_case.id), str(amiens_case.id)}


def test_the_queue_is_paginated_with_a_cursor(moderation_uow):
    author = member(moderation_uow)
    cases = []
    for minutes in range(5):
        case = held_case(moderation_uow, author)
        case.opened_at = NOW + timedelta(minutes=minutes)
        cases.append(case)
    first = handlers.queue(moderation_uow, ADMIN, {"limit": 2})
    second = handlers.queue(moderation_uow, ADMIN, {"limit": 2, "cursor": first["next_cursor"]})
    third = handlers.queue(moderation_uow, ADMIN, {"limit": 2, "cursor": second["next_cursor"]})
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == [str(c.id) for c in reversed(cases)]
    assert third["next_cursor"] is None


def test_the_queue_refuses_members_and_bad_cursors(moderation_uow):
    with pytest.raises(Forbidden):
        handlers.queue(moderation_uow, member(moderation_uow), {})
    with pytest.raises(ValidationFailed):
        handlers.queue(moderation_uow, ADMIN, {"cursor": "n'importe quoi"})
    with pytest.raises(ValidationFailed):
        handlers.queue(moderation_uow, ADMIN, {"limit": 101})


# ---------------------------------------------------------------- decisions


def test_a_decision_closes_the_case_tells_everyone_and_is_audited(moderation_uow):
    author = member(moderation_uow)
    post = published_post(moderation_uow, author)
    reporters = [member(moderation_uow) for _ in range(3)]
    for r in reporters:
        report(moderation_uow, r, post)
    [case] = moderation_uow.cases.rows
    advisor = member(moderation_uow, "advisor", LILLE)
    before = metrics.DECISIONS.labels("reject")._value.get()

    view = handlers.decide(moderation_uow, advisor, str(case.id), {"action": "reject", "reason": "Insultes"},
                           NOW + timedelta(minutes=30))

    assert view["status"] == "decided" and view["decision"]["action"] == "reject"
    assert moderation_uow.published_of(CaseDecided) == [
        CaseDecided(case_id=str(case.id), target_type="post", target_id=post, target_author_id=author.id,
                    agency_code=LILLE, source="reports", action="reject", reason="Insultes", decided_by=advisor.id,
                    opened_at=NOW, decided_at=NOW + timedelta(minutes=30))
    ]
    resolved = moderation_uow.published_of(ReportResolved)
    assert sorted(e.reporter_id for e in resolved) == sorted(r.id for r in reporters)
    assert {e.action for e in resolved} == {"reject"}
    entry = moderation_uow.audit.rows[-1]
    assert (entry.action, entry.actor_id, entry.actor_role, entry.reason) == (
        "case_decided", uuid.UUID(advisor.id), "advisor", "Insultes")
    assert moderation_uow.targets.get("post", uuid.UUID(post)).status == "rejected"
    assert metrics.DECISIONS.labels("reject")._value.get() == before + 1


def test_an_advisor_of_another_agency_gets_not_found(moderation_uow):
    case = held_case(moderation_uow, member(moderation_uow, agency=LILLE))
    with pytest.raises(NotFound):
        handlers.decide(moderation_uow, member(moderation_uow, "advisor", AMIENS), str(case.id),
                        {"action": "approve", "reason": "ok"}, NOW)
    assert case.status == "open"


def test_a_member_cannot_decide_and_a_case_is_decided_once(moderation_uow):
    case = held_case(moderation_uow, member(moderation_uow))
    with pytest.raises(Forbidden):
        handlers.decide(moderation_uow, member(moderation_uow), str(case.id), {"action": "approve", "reason": "ok"}, NOW)
    handlers.decide(moderation_uow, ADMIN, str(case.id), {"action": "approve", "reason": "Numéro de l'agence"}, NOW)
    with pytest.raises(Conflict):
        handlers.decide(moderation_uow, ADMIN, str(case.id), {"action": "hide", "reason": "finalement"}, NOW)


def test_a_decision_needs_a_reason_and_a_known_action(moderation_uow):
    case = held_case(moderation_uow, member(moderation_uow))
    for body in ({"action": "approve", "reason": "  "}, {"action": "delete", "reason": "x"}, {"action": "approve"}):
        with pytest.raises(ValidationFailed):
            handlers.decide(moderation_uow, ADMIN, str(case.id), body, NOW)


def test_an_advisor_does_not_decide_about_their_own_content(moderation_uow):
    advisor = member(moderation_uow, "advisor", LILLE)
    case = held_case(moderation_uow, advisor)
    with pytest.raises(Forbidden):
        handlers.decide(moderation_uow, advisor, str(case.id), {"action": "approve", "reason": "c'est moi"}, NOW)


# ---------------------------------------------------------------- sanctions


def test_an_advisor_mutes_a_member_of_their_agency(moderation_uow):
    advisor, seeker = member(moderation_uow, "advisor", LILLE), member(moderation_uow)
    view = handlers.impose_sanction(moderation_uow, advisor, {"user_id": seeker.id, "type": "mute",
                                                              "duration_hours": 48, "reason": "Propos insultants"}, NOW)
    assert view["expires_at"] == (NOW + timedelta(hours=48)).isoformat()
    [event] = moderation_uow.published_of(SanctionImposed)
    assert (event.user_id, event.type, event.expires_at, event.imposed_by, event.agency_code) == (
        seeker.id, "mute", NOW + timedelta(hours=48), advisor.id, LILLE)
    entry = moderation_uow.audit.rows[-1]
    assert (entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "sanction_imposed", "user", uuid.UUID(seeker.id), "Propos insultants")


def test_an_advisor_cannot_sanction_outside_their_agency_nor_staff_nor_themselves(moderation_uow):
    advisor = member(moderation_uow, "advisor", LILLE)
    with pytest.raises(NotFound):
        handlers.impose_sanction(moderation_uow, advisor, {"user_id": member(moderation_uow, agency=AMIENS).id,
                                                           "type": "warn", "reason": "x"}, NOW)
    with pytest.raises(NotFound):
        handlers.impose_sanction(moderation_uow, advisor, {"user_id": str(uuid.uuid4()), "type": "warn", "reason": "x"}, NOW)
    with pytest.raises(Forbidden):
        handlers.impose_sanction(moderation_uow, advisor, {"user_id": member(moderation_uow, "advisor", LILLE).id,
                                                           "type": "warn", "reason": "x"}, NOW)
    with pytest.raises(Forbidden):
        handlers.impose_sanction(moderation_uow, advisor, {"user_id": advisor.id, "type": "warn", "reason": "x"}, NOW)
    with pytest.raises(Forbidden):
        handlers.impose_sanction(moderation_uow, member(moderation_uow), {"user_id": advisor.id, "type": "warn",
                                                                          "reason": "x"}, NOW)
    assert moderation_uow.published_of(SanctionImposed) == []


def test_an_admin_sanctions_anyone(moderation_uow):
    target = member(moderation_uow, "advisor", AMIENS)
    handlers.impose_sanction(moderation_uow, ADMIN, {"user_id": target.id, "type": "suspend", "duration_hours": 1,
                                                     "reason": "Abus"}, NOW)
    assert moderation_uow.published_of(SanctionImposed)[0].user_id == target.id


@pytest.mark.parametrize(
    "body",
    [{"type": "warn", "duration_hours": 2, "reason": "x"}, {"type": "mute", "reason": "x"},
     {"type": "suspend", "duration_hours": 0, "reason": "x"}, {"type": "ban", "reason": "x"}],
)
def test_durations_follow_the_sanction_type(moderation_uow, body):
    with pytest.raises(ValidationFailed):
        handlers.impose_sanction(moderation_uow, ADMIN, {"user_id": member(moderation_uow).id, **body}, NOW)


def test_expired_mutes_and_suspensions_are_lifted_once(moderation_uow):
    seeker = member(moderation_uow)
    for kind, hours in (("mute", 1), ("suspend", 3), ("warn", None)):
        body = {"user_id": seeker.id, "type": kind, "reason": "x"}
        if hours:
            body["duration_hours"] = hours
        handlers.impose_sanction(moderation_uow, ADMIN, body, NOW)

    assert handlers.lift_expired_sanctions(moderation_uow, NOW + timedelta(minutes=59)) == 0
    assert handlers.lift_expired_sanctions(moderation_uow, NOW + timedelta(hours=2)) == 1
    assert handlers.lift_expired_sanctions(moderation_uow, NOW + timedelta(hours=2, seconds=5)) == 0
    [lifted] = moderation_uow.published_of(SanctionLifted)
    assert (lifted.user_id, lifted.type) == (seeker.id, "mute")
    assert handlers.lift_expired_sanctions(moderation_uow, NOW + timedelta(hours=4)) == 1
    assert [e.type for e in moderation_uow.published_of(SanctionLifted)] == ["mute", "suspend"]
    assert [e.action for e in moderation_uow.audit.rows].count("sanction_lifted") == 2


# ---------------------------------------------------------------- appeals


def decided_case(uow, author, action="reject"):
    case = held_case(uow, author)
    handlers.decide(uow, ADMIN, str(case.id), {"action": action, "reason": "Données personnelles"}, NOW)
    return case


def test_the_author_appeals_and_the_case_reopens(moderation_uow):
    author = member(moderation_uow)
    case = decided_case(moderation_uow, author)
    later = NOW + timedelta(hours=1)

    view = handlers.file_appeal(moderation_uow, author, {"case_id": str(case.id), "text": "C'était le numéro de l'agence"}, later)

    assert view["case_id"] == str(case.id) and view["status"] == "open"
    assert (case.status, case.source, case.opened_at, case.action) == ("open", "appeal", later, None)
    assert moderation_uow.published_of(AppealFiled) == [
        AppealFiled(case_id=str(case.id), appellant_id=author.id, agency_code=LILLE, filed_at=later)
    ]
    [item] = handlers.queue(moderation_uow, ADMIN, {})["items"]
    assert item["source"] == "appeal" and item["appeal"]["text"] == "C'était le numéro de l'agence"
    assert moderation_uow.audit.rows[-1].action == "appeal_filed"
    with pytest.raises(Conflict):
        handlers.file_appeal(moderation_uow, author, {"case_id": str(case.id), "text": "encore"}, later)


def test_only_the_author_may_appeal(moderation_uow):
    case = decided_case(moderation_uow, member(moderation_uow))
    with pytest.raises(NotFound):
        handlers.file_appeal(moderation_uow, member(moderation_uow), {"case_id": str(case.id), "text": "x"}, NOW)
    with pytest.raises(Forbidden):
        handlers.file_appeal(moderation_uow, member(moderation_uow, "advisor", LILLE), {"case_id": str(case.id),
                                                                                      "text": "x"}, NOW)
    with pytest.raises(NotFound):
        handlers.file_appeal(moderation_uow, member(moderation_uow), {"case_id": "inconnu", "text": "x"}, NOW)


def test_nothing_to_appeal_on_an_open_or_approved_case(moderation_uow):
    author = member(moderation_uow)
    for case in (held_case(moderation_uow, author), decided_case(moderation_uow, author, "approve")):
        with pytest.raises(Conflict):
            handlers.file_appeal(moderation_uow, author, {"case_id": str(case.id), "text": "x"}, NOW)


# ---------------------------------------------------------------- audit


def test_the_audit_log_shows_who_did_what_when_and_why_in_scope(moderation_uow):
    author = member(moderation_uow)
    case = decided_case(moderation_uow, author)
    handlers.impose_sanction(moderation_uow, ADMIN, {"user_id": author.id, "type": "warn", "reason": "Rappel"}, NOW)
    other = decided_case(moderation_uow, member(moderation_uow, agency=AMIENS))

    entries = handlers.audit_log(moderation_uow, ADMIN, {"target_id": str(case.target_id)})["items"]
    assert [(e["action"], e["actor_id"], e["reason"]) for e in entries] == [
        ("case_decided", ADMIN.id, "Données personnelles")]
    assert entries[0]["at"] == NOW.isoformat()
    lille = handlers.audit_log(moderation_uow, member(moderation_uow, "advisor", LILLE), {})["items"]
    assert {e["agency_code"] for e in lille} == {LILLE} and len(lille) == 2
    assert handlers.audit_log(moderation_uow, member(moderation_uow, "advisor", LILLE),
                              {"target_id": str(other.target_id)})["items"] == []
    with pytest.raises(Forbidden):
        handlers.audit_log(moderation_uow, author, {})


def test_a_bad_audit_cursor_is_refused_even_beside_a_target_that_is_no_id(moderation_uow):
    """Found by fuzzing (tests/e2e/test_fuzz_openapi.py): `target_id=¥` and an
    altered cursor answered an empty page instead of the 422 on `cursor`."""
    assert handlers.audit_log(moderation_uow, ADMIN, {"target_id": "¥"}) == {"items": [], "next_cursor": None}
    with pytest.raises(ValidationFailed) as caught:
        handlers.audit_log(moderation_uow, ADMIN, {"target_id": "¥", "cursor": "W10.AAAAAAAAAAAAAAAAAAAAAA"})
    assert caught.value.errors[0]["loc"] == ["query", "cursor"]


# ---------------------------------------------------------------- unanswered questions


def test_an_unanswered_question_is_flagged_once(moderation_uow):
    author = member(moderation_uow)
    question = published_post(moderation_uow, author, kind="question", title="CACES R489 ?")
    published_post(moderation_uow, author, kind="discussion")

    assert handlers.flag_unanswered_questions(moderation_uow, NOW + timedelta(hours=23), 24) == 0
    assert handlers.flag_unanswered_questions(moderation_uow, NOW + timedelta(hours=25), 24) == 1
    assert handlers.flag_unanswered_questions(moderation_uow, NOW + timedelta(hours=26), 24) == 0
    assert moderation_uow.published_of(QuestionUnanswered) == [
        QuestionUnanswered(post_id=question, post_title="CACES R489 ?", author_id=author.id, agency_code=LILLE,
                           asked_at=NOW, flagged_at=NOW + timedelta(hours=25))
    ]


def answer(uow, question, asker, by, at=NOW):
    handlers.comment_published(uow, CommentPublished(
        comment_id=str(uuid.uuid4()), post_id=question, post_title="Q", post_author_id=asker.id, post_kind="question",
        author_id=by.id, author_role="job_seeker", agency_code=LILLE, created_at=at, published_at=at))


def test_a_question_answered_by_someone_else_is_not_flagged(moderation_uow):
    asker = member(moderation_uow)
    question = published_post(moderation_uow, asker, kind="question")
    answer(moderation_uow, question, asker, member(moderation_uow))
    assert handlers.flag_unanswered_questions(moderation_uow, NOW + timedelta(days=2), 24) == 0


def test_the_askers_own_comment_is_not_an_answer_and_removed_questions_are_not_flagged(moderation_uow):
    asker = member(moderation_uow)
    question = published_post(moderation_uow, asker, kind="question")
    answer(moderation_uow, question, asker, asker)
    removed = published_post(moderation_uow, asker, kind="question")
    handlers.post_removed(moderation_uow, PostRemoved(post_id=removed, author_id=asker.id, agency_code=LILLE,
                                                      removed_by=asker.id, removed_at=NOW + timedelta(hours=1)))
    assert handlers.flag_unanswered_questions(moderation_uow, NOW + timedelta(days=2), 24) == 1
    assert moderation_uow.published_of(QuestionUnanswered)[0].post_id == question


# ---------------------------------------------------------------- GDPR


def test_export_gives_the_caller_everything_held_about_them(moderation_uow):
    author, reporter = member(moderation_uow), member(moderation_uow)
    post = published_post(moderation_uow, author)
    report(moderation_uow, reporter, post)
    case = decided_case(moderation_uow, author)
    handlers.file_appeal(moderation_uow, author, {"case_id": str(case.id), "text": "Je conteste"}, NOW)
    handlers.impose_sanction(moderation_uow, ADMIN, {"user_id": author.id, "type": "warn", "reason": "Rappel"}, NOW)

    mine = handlers.export_user_data(moderation_uow, author)
    assert mine["member"] == {"role": "job_seeker", "agency_code": LILLE}
    assert [c["id"] for c in mine["cases_about_my_content"]] == [str(case.id)]
    assert [a["text"] for a in mine["appeals"]] == ["Je conteste"]
    assert [s["reason"] for s in mine["sanctions"]] == ["Rappel"]
    assert mine["reports_filed"] == []
    assert [r["target_id"] for r in handlers.export_user_data(moderation_uow, reporter)["reports_filed"]] == [post]
    assert [a["action"] for a in handlers.export_user_data(moderation_uow, ADMIN)["moderation_actions"]] == [
        "case_decided", "sanction_imposed"]
    with pytest.raises(Unauthorized):
        handlers.export_user_data(moderation_uow, Caller.anonymous())


def test_erasure_removes_personal_data_and_keeps_cases_as_by_a_deleted_member(moderation_uow):
    author, reporter = member(moderation_uow), member(moderation_uow)
    post = published_post(moderation_uow, author)
    handlers.report(moderation_uow, reporter, {"target_type": "post", "target_id": post, "reason": "other",
                                               "detail": "Je connais cette personne, Camille D."}, NOW, 3)
    case = decided_case(moderation_uow, author)
    handlers.file_appeal(moderation_uow, author, {"case_id": str(case.id), "text": "Mon numéro perso"}, NOW)
    handlers.impose_sanction(moderation_uow, ADMIN, {"user_id": author.id, "type": "warn", "reason": "Rappel"}, NOW)

    for user in (author, reporter):
        handlers.erase_user(moderation_uow, UserErased(user_id=user.id, erased_at=NOW))

    assert moderation_uow.members.live(uuid.UUID(author.id)) is None  # a tombstone: id and version only
    assert case.author_id == ERASED_USER and case.excerpt == "[contenu d'un membre supprimé]"
    assert moderation_uow.targets.get("post", uuid.UUID(post)).author_id == ERASED_USER
    assert moderation_uow.appeals.rows[0].text != "Mon numéro perso" and moderation_uow.appeals.rows[0].appellant_id is None
    [r] = moderation_uow.reports.rows
    assert (r.reporter_id, r.detail) == (None, None)
    assert moderation_uow.sanctions.of_user(uuid.UUID(author.id)) == []
    assert [a for a in moderation_uow.activity.rows if a.author_id == uuid.UUID(author.id)] == []
    exported = handlers.export_user_data(moderation_uow, author)
    assert {k: v for k, v in exported.items() if k != "moderation_actions"} == {
        "member": None, "reports_filed": [], "cases_about_my_content": [], "appeals": [], "sanctions": [],
    }
    # The audit log is kept (append-only, GDPR art. 17(3)(e)); it never held the appeal's text.
    [appeal_entry] = exported["moderation_actions"]
    assert appeal_entry["action"] == "appeal_filed" and "Mon numéro perso" not in str(appeal_entry)


# ---------------------------------------------------------------- metrics


def test_cases_opened_are_counted_by_source_once_committed(moderation_uow):
    before = metrics.CASES_OPENED.labels("screening")._value.get()
    handlers.screen_post(moderation_uow, PostCreated(post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()),
                                                     agency_code=LILLE, kind="question", title="x",
                                                     body="06 12 34 56 78", topics=[], created_at=NOW),
                         NOW, default_screener())
    assert metrics.CASES_OPENED.labels("screening")._value.get() == before  # not committed yet
    moderation_uow.commit()
    assert metrics.CASES_OPENED.labels("screening")._value.get() == before + 1


def test_the_queue_depth_gauge_follows_open_cases_per_agency(moderation_uow):
    held_case(moderation_uow, member(moderation_uow, agency=LILLE))
    amiens = held_case(moderation_uow, member(moderation_uow, agency=AMIENS))
    known = metrics.set_queue_depth(handlers.queue_depth(moderation_uow), set())
    assert metrics.QUEUE_DEPTH.labels(AMIENS)._value.get() == 1
    handlers.decide(moderation_uow, ADMIN, str(amiens.id), {"action": "approve", "reason": "ok"}, NOW)
    metrics.set_queue_depth(handlers.queue_depth(moderation_uow), known)
    assert metrics.QUEUE_DEPTH.labels(AMIENS)._value.get() == 0
    assert metrics.QUEUE_DEPTH.labels(LILLE)._value.get() == 1


def test_spam_activity_older_than_the_longest_window_is_forgotten(moderation_uow):
    author = member(moderation_uow)
    published_post(moderation_uow, author, at=NOW)
    published_post(moderation_uow, author, at=NOW + timedelta(hours=23))
    handlers.prune_activity(moderation_uow, NOW + timedelta(hours=25), default_screener())  # window: 24 h (rules.yaml)
    assert [a.at for a in moderation_uow.activity.rows] == [NOW + timedelta(hours=23)]
