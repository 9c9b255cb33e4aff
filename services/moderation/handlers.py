"""moderation's use cases: plain functions over a unit of work.

Collaborators (the screener with its rules and word list, the clock) are
passed in, so unit tests run them without nameko or a database.
"""
import uuid
from datetime import datetime, timedelta

from services.moderation import domain, metrics
from services.moderation.models import ERASED_USER, Activity, Appeal, AuditEntry, Case, Report, Sanction
from services.moderation.screening import Screener, Screening
from services.moderation.spam import RecentWriting
from shared import paging
from shared.api.base import Page
from shared.api.moderation import AppealIn, AuditQuery, DecisionIn, ReportIn, SanctionIn
from shared.caller import Caller
from shared.contracts.identity import UserErased
from shared.contracts.moderation import (
    AppealFiled, CaseDecided, CaseOpened, ContentScreened, QuestionUnanswered, ReportResolved, SanctionImposed,
    SanctionLifted, TargetHidden, TextDecided, TextScreened,
)
from shared.contracts.events import CalendarEventTextsSubmitted
from shared.contracts.identity import ProfileSubmitted
from shared.contracts.mentoring import MentoringMessageSubmitted
from shared.contracts.posts import (
    CommentCreated, CommentHeld, CommentPublished, CommentRejected, PostCreated, PostHeld, PostPublished, PostRejected, PostRemoved, PostUpdated,
)
from shared.errors import Conflict, Forbidden, NotFound
from shared.validation import parse

CASE_NOT_FOUND = "Dossier de modération introuvable."
TARGET_NOT_FOUND = "Contenu introuvable."
MEMBER_NOT_FOUND = "Membre introuvable."


# ---------------------------------------------------------------- views


def case_view(case: Case, appeal: Appeal | None = None) -> dict:
    view = {
        "id": str(case.id),
        "target_type": case.target_type,
        "target_id": str(case.target_id),
        "agency_code": case.agency_code,
        "reasons": list(case.reasons or []),
        "source": case.source,
        "excerpt": case.excerpt,
        "created_at": case.created_at.isoformat(),
        "opened_at": (case.opened_at or case.created_at).isoformat(),
        "author_id": str(case.author_id),
        "status": case.status,
    }
    if case.status == "decided":
        view["decision"] = {
            "action": case.action, "reason": case.decision_reason,
            "decided_by": str(case.decided_by) if case.decided_by else None,
            "decided_at": case.decided_at.isoformat() if case.decided_at else None,
        }
    if appeal is not None:
        view["appeal"] = {"text": appeal.text, "filed_at": appeal.filed_at.isoformat()}
    return view


def audit_view(entry: AuditEntry) -> dict:
    return {
        "id": str(entry.id),
        "at": entry.at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": str(entry.target_id),
        "agency_code": entry.agency_code,
        "case_id": str(entry.case_id) if entry.case_id else None,
        "sanction_id": str(entry.sanction_id) if entry.sanction_id else None,
        "reason": entry.reason,
        "details": dict(entry.details or {}),
    }


def sanction_view(s: Sanction) -> dict:
    return {
        "id": str(s.id), "user_id": str(s.user_id), "agency_code": s.agency_code, "type": s.type, "reason": s.reason,
        "imposed_by": str(s.imposed_by), "imposed_at": s.imposed_at.isoformat(),
        "expires_at": s.expires_at.isoformat() if s.expires_at else None,
        "lifted_at": s.lifted_at.isoformat() if s.lifted_at else None,
    }


def report_view(r: Report) -> dict:
    return {
        "id": str(r.id), "target_type": r.target_type, "target_id": str(r.target_id), "reason": r.reason,
        "detail": r.detail, "created_at": r.created_at.isoformat(), "status": "resolved" if r.resolved_at else "received",
        "outcome": r.outcome,
    }


# ---------------------------------------------------------------- screening


def _open_case(uow, *, target_type, target_id, author_id, agency_code, reasons, source, text_excerpt, now) -> Case:
    case = Case(
        id=uuid.uuid4(), target_type=target_type, target_id=target_id, author_id=author_id, agency_code=agency_code,
        reasons=list(reasons), source=source, status="open", excerpt=text_excerpt, created_at=now, opened_at=now,
    )
    uow.cases.insert(case)
    uow.record(
        CaseOpened(
            case_id=str(case.id), target_type=target_type, target_id=str(target_id), agency_code=agency_code,
            source=source, reasons=list(reasons), opened_at=now,
        )
    )
    uow.after_commit(lambda: metrics.CASES_OPENED.labels(source).inc())
    return case


def _audit(uow, *, actor: Caller | None, action: str, target_type: str, target_id, agency_code, now,
           case_id=None, sanction_id=None, reason=None, details=None) -> None:
    uow.audit.add(
        AuditEntry(
            at=now, actor_id=uuid.UUID(actor.id) if actor else None, actor_role=actor.role if actor else "system",
            action=action, target_type=target_type, target_id=target_id, agency_code=agency_code, case_id=case_id,
            sanction_id=sanction_id, reason=reason, details=details or {},
        )
    )


def _screen(uow, screener: Screener, *, target_type: str, target_id: str, post_id: str, author_id: str,
            agency_code: str | None, kind: str | None, title: str | None, text: str, created: bool,
            at: datetime, now: datetime) -> ContentScreened:
    target_key, author_key = uuid.UUID(target_id), uuid.UUID(author_id)
    limits = screener.rules.thresholds
    since = at - timedelta(minutes=max(limits.duplicate_window_minutes, limits.flood_window_minutes))
    uow.activity.lock_authors([author_key])  # a batch locked its authors already: no statement then
    # The target marked pending and locked, the author's recent writing and
    # the target's open case: one round trip. The writing of this unit of
    # work (earlier posts of a batch) is not in the table yet: added here.
    written, open_case = uow.targets.screening(target_type, target_key, post_id=uuid.UUID(post_id),
                                               author_id=author_key, agency_code=agency_code, kind=kind or None,
                                               title=title, at=at, recent_since=since)
    recent = [RecentWriting(str(a.target_id), a.fingerprint, a.created, a.at)
              for a in [*written, *uow.activity.recorded_since(author_key, since)]]
    result = screener.screen(text, target_id=target_id, created=created, at=at, recent=recent)
    uow.activity.record(Activity(author_id=author_key, target_type=target_type, target_id=target_key,
                                 fingerprint=result.fingerprint, created=created, at=at))
    if created:
        case = uow.cases.lock_if_open(open_case) if open_case is not None else None
    else:
        # An edit, of a post others may have reported: a case opened while the
        # statement above waited for the target's lock is not in its snapshot.
        # Looked up again, locked (edits are few; new posts are the load).
        case = uow.cases.open_for(target_type, target_key)
    last = uow.cases.last_decided_for(target_type, target_key) if not created else None
    if not created and domain.needs_a_person(case.source if case else None, last.action if last else None):
        # Held for a person, its open case updated or a new one: never
        # published because an edit screens clean (issue 12, item 3).
        reasons = tuple(dict.fromkeys([*result.reasons, domain.EDITED_AFTER_DECISION]))
        if case is None:
            case = _open_case(uow, target_type=target_type, target_id=target_key, author_id=author_key,
                              agency_code=agency_code, reasons=[*reasons, *last.reasons], source="screening",
                              text_excerpt=result.excerpt, now=now)
        else:
            case.reasons = list(dict.fromkeys([*case.reasons, *reasons]))
            case.excerpt = result.excerpt
        _audit(uow, actor=None, action="edited_after_decision", target_type=target_type, target_id=target_key,
               agency_code=agency_code, now=now, case_id=case.id,
               reason="Contenu modifié après une décision : examen par une personne",
               details={"rules": list(result.reasons), "previous_decision": last.action if last else None})
        result = Screening("hold", reasons)
        case_id = case.id
    elif result.decision == "publish":
        if case is not None and case.source == "screening":
            case.status = "closed"  # edited clean before anyone looked: nothing left to decide
        case_id = None
    elif result.decision == "hold":
        if case is None:
            case = _open_case(uow, target_type=target_type, target_id=target_key, author_id=author_key,
                              agency_code=agency_code, reasons=result.reasons, source="screening",
                              text_excerpt=result.excerpt, now=now)
        else:
            case.reasons = list(dict.fromkeys([*case.reasons, *result.reasons]))
            case.excerpt = result.excerpt
        case_id = case.id
    else:  # reject: decided by the rules, open to appeal like any decision
        decided = {"status": "decided", "action": "reject", "decided_at": now, "decided_by": None,
                   "decision_reason": "Refus automatique : " + ", ".join(result.reasons)}
        if case is None:  # written once, decided (an insert, not an insert then an update)
            case = Case(id=uuid.uuid4(), target_type=target_type, target_id=target_key, author_id=author_key,
                        agency_code=agency_code, reasons=list(dict.fromkeys(result.reasons)), source="screening",
                        excerpt=result.excerpt, created_at=now, opened_at=now, **decided)
            uow.cases.insert(case)
        else:
            for name, value in decided.items():
                setattr(case, name, value)
            case.reasons = list(dict.fromkeys([*case.reasons, *result.reasons]))
        _audit(uow, actor=None, action="case_decided", target_type=target_type, target_id=target_key,
               agency_code=agency_code, now=now, case_id=case.id, reason=case.decision_reason,
               details={"action": "reject", "rules": list(result.reasons), "source": "screening"})
        case_id = case.id
    screened = ContentScreened(target_type=target_type, target_id=target_id, decision=result.decision,
                               reasons=list(result.reasons), screened_at=now,
                               case_id=str(case_id) if case_id else None)
    uow.record(screened)
    return screened


def screen_text(uow, screener: Screener, *, target_type: str, target_id: str, author_id: str,
                agency_code: str | None, text_version: int, text: str, now: datetime) -> TextScreened | None:
    """Screen one version of a text others would see (a profile, a mentoring
    request, an event): the same rules as posts (personal data, abuse, links),
    without the posting-history ones. Held, it opens (or updates) a case in
    its agency's queue; refused by the rules, a decided case keeps the trace.
    Its owner shows the text only on a `clean` verdict (or a person's approval)."""
    key, author = uuid.UUID(target_id), uuid.UUID(author_id)
    target = uow.targets.lock(target_type, key)
    if domain.is_stale(text_version, target.text_version):
        return None  # a newer version was screened already
    target.author_id, target.agency_code, target.text_version = author, agency_code, text_version
    result = screener.screen(text, target_id=target_id, created=True)
    verdict = domain.TEXT_VERDICT[result.decision]
    case = uow.cases.open_for(target_type, key)
    if case is not None and (verdict != "held" or case.source != "screening"):
        case.status = "closed"  # about a version that is replaced: nothing left to decide
        case = None
    if verdict == "held":
        if case is None:
            case = Case(id=uuid.uuid4(), target_type=target_type, target_id=key, author_id=author,
                        agency_code=agency_code, reasons=list(result.reasons), source="screening", status="open",
                        excerpt=result.excerpt, created_at=now, opened_at=now)
            uow.cases.add(case)
            uow.after_commit(lambda: metrics.CASES_OPENED.labels("screening").inc())
        case.reasons, case.excerpt, case.text_version = list(result.reasons), result.excerpt, text_version
    elif verdict == "refused":
        case = Case(id=uuid.uuid4(), target_type=target_type, target_id=key, author_id=author,
                    agency_code=agency_code, reasons=list(result.reasons), source="screening", status="decided",
                    excerpt=result.excerpt, created_at=now, opened_at=now, action="reject", decided_at=now,
                    decision_reason="Refus automatique : " + ", ".join(result.reasons), text_version=text_version)
        uow.cases.add(case)
        _audit(uow, actor=None, action="case_decided", target_type=target_type, target_id=key,
               agency_code=agency_code, now=now, case_id=case.id, reason=case.decision_reason,
               details={"action": "reject", "rules": list(result.reasons), "source": "screening"})
    target.status = {"clean": "published", "held": "held", "refused": "rejected"}[verdict]
    target.status_at = now
    screened = TextScreened(target_type=target_type, target_id=target_id, author_id=author_id, agency_code=agency_code,
                            text_version=text_version, verdict=verdict, reasons=list(result.reasons),
                            case_id=str(case.id) if case is not None else None, screened_at=now)
    uow.record(screened)
    return screened


def screen_profile(uow, event: ProfileSubmitted, now: datetime, screener: Screener) -> TextScreened | None:
    """A member's new display name and bio, screened as one text."""
    return screen_text(uow, screener, target_type="profile", target_id=event.user_id, author_id=event.user_id,
                       agency_code=event.agency_code, text_version=event.text_version,
                       text=f"{event.display_name}\n{event.bio}", now=now)


def screen_mentoring_message(uow, event: MentoringMessageSubmitted, now: datetime,
                             screener: Screener) -> TextScreened | None:
    """A mentoring request's message, before its mentor reads it."""
    return screen_text(uow, screener, target_type="mentoring_request", target_id=event.request_id,
                       author_id=event.mentee_id, agency_code=event.agency_code, text_version=event.text_version,
                       text=event.message, now=now)


def screen_event_texts(uow, event: CalendarEventTextsSubmitted, now: datetime,
                       screener: Screener) -> TextScreened | None:
    """An event's title, description and location, before members see it."""
    text = "\n".join(t for t in (event.title, event.description, event.location) if t)
    return screen_text(uow, screener, target_type="calendar_event", target_id=event.calendar_event_id,
                       author_id=event.organizer_id, agency_code=event.agency_code, text_version=event.text_version,
                       text=text, now=now)


def lock_authors(uow, events: list[PostCreated]) -> None:
    """Before a batch of new posts: their authors' locks, all at once and
    in one order (see ActivityRepository.lock_authors)."""
    uow.activity.lock_authors([uuid.UUID(event.author_id) for event in events])


def screen_post(uow, event: PostCreated | PostUpdated, now: datetime, screener: Screener) -> ContentScreened:
    created = isinstance(event, PostCreated)
    return _screen(uow, screener, target_type="post", target_id=event.post_id, post_id=event.post_id,
                   author_id=event.author_id, agency_code=event.agency_code, kind=event.kind, title=event.title,
                   text=f"{event.title} — {event.body}", created=created,
                   at=event.created_at if created else event.updated_at, now=now)


def screen_comment(uow, event: CommentCreated, now: datetime, screener: Screener) -> ContentScreened:
    return _screen(uow, screener, target_type="comment", target_id=event.comment_id, post_id=event.post_id,
                   author_id=event.author_id, agency_code=event.agency_code, kind=None, title=None,
                   text=event.body, created=True, at=event.created_at, now=now)


# ---------------------------------------------------------------- what posts tells


def _set_status(uow, target_type: str, target_id: str, status: str, at: datetime, **fields) -> str:
    """The target's status as of `at` (unless a newer one is known), and the fields given; its status now."""
    return uow.targets.set_status(target_type, uuid.UUID(target_id), status, at, **fields)


def post_published(uow, event: PostPublished) -> None:
    _set_status(uow, "post", event.post_id, "published", event.published_at, post_id=uuid.UUID(event.post_id),
                author_id=uuid.UUID(event.author_id), agency_code=event.agency_code, kind=event.kind,
                published_at=event.published_at)


def held_or_rejected(uow, event: PostHeld | PostRejected | CommentHeld | CommentRejected, now: datetime) -> None:
    status = "held" if isinstance(event, (PostHeld, CommentHeld)) else "rejected"
    if isinstance(event, (CommentHeld, CommentRejected)):
        _set_status(uow, "comment", event.comment_id, status, now, post_id=uuid.UUID(event.post_id),
                    author_id=uuid.UUID(event.author_id), agency_code=event.agency_code)
    else:
        _set_status(uow, "post", event.post_id, status, now, author_id=uuid.UUID(event.author_id),
                    agency_code=event.agency_code)


def post_removed(uow, event: PostRemoved) -> None:
    status = _set_status(uow, "post", event.post_id, "removed", event.removed_at)
    if status == "removed" and (case := uow.cases.open_for("post", uuid.UUID(event.post_id))) is not None:
        case.status = "closed"  # gone: nothing left to decide


def comment_published(uow, event: CommentPublished) -> None:
    _set_status(uow, "comment", event.comment_id, "published", event.published_at, post_id=uuid.UUID(event.post_id),
                author_id=uuid.UUID(event.author_id), agency_code=event.agency_code)
    if domain.is_answer(event.author_id, event.post_author_id, event.post_kind):
        question = uow.targets.lock("post", uuid.UUID(event.post_id))
        if question.answered_at is None:
            question.answered_at = event.published_at


# ---------------------------------------------------------------- reports


def report(uow, caller: Caller, data: dict, now: datetime, reports_to_hide: int) -> dict:
    caller.require_user()
    report_in = parse(ReportIn, data)
    key = domain.parse_uuid(report_in.target_id)
    target = uow.targets.get(report_in.target_type, key) if key else None
    if target is None or target.status != "published":
        raise NotFound(TARGET_NOT_FOUND)
    target = uow.targets.lock(report_in.target_type, key)  # reports on one target go one at a time
    if target.status != "published":
        raise NotFound(TARGET_NOT_FOUND)
    if str(target.author_id) == caller.id:
        raise Forbidden("Vous ne pouvez pas signaler votre propre contenu.")
    new = Report(id=uuid.uuid4(), reporter_id=uuid.UUID(caller.id), target_type=target.target_type,
                 target_id=key, agency_code=target.agency_code, reason=report_in.reason,
                 detail=(report_in.detail or "").strip() or None, created_at=now)
    if not uow.reports.add_once(new):
        raise Conflict("Vous avez déjà signalé ce contenu.")
    pending = uow.reports.unresolved_for(target.target_type, key)
    if len({r.reporter_id for r in pending}) >= reports_to_hide:
        _hide_reported(uow, target, pending, now)
    uow.commit()
    return report_view(new)


def _hide_reported(uow, target, pending: list[Report], now: datetime) -> None:
    reasons = list(dict.fromkeys(f"report.{r.reason}" for r in pending))
    case = uow.cases.open_for(target.target_type, target.target_id)
    if case is None:
        case = _open_case(uow, target_type=target.target_type, target_id=target.target_id,
                          author_id=target.author_id or ERASED_USER, agency_code=target.agency_code, reasons=reasons,
                          source="reports", text_excerpt=target.title or "(commentaire signalé)", now=now)
    else:
        case.reasons = list(dict.fromkeys([*case.reasons, *reasons]))
    for r in pending:
        r.case_id = case.id
    target.status, target.status_at = "hidden", now
    uow.record(TargetHidden(case_id=str(case.id), target_type=target.target_type, target_id=str(target.target_id),
                            target_author_id=str(target.author_id or ERASED_USER), agency_code=target.agency_code,
                            hidden_at=now))
    _audit(uow, actor=None, action="target_hidden", target_type=target.target_type, target_id=target.target_id,
           agency_code=target.agency_code, now=now, case_id=case.id,
           reason=f"Signalé par {len(pending)} membres", details={"reports": len(pending), "reasons": reasons})


# ---------------------------------------------------------------- queue and decisions


def queue(uow, caller: Caller, params: dict) -> dict:
    caller.require_role("advisor", "admin")
    page = parse(Page, params)
    after = paging.decode(page.cursor or None, "moderation.queue", (datetime, uuid.UUID))
    found = uow.cases.queue(caller.agency_code, caller.role == "admin", page.limit + 1, after)
    more = paging.next_cursor("moderation.queue", found, page.limit, lambda c: (c.opened_at or c.created_at, c.id))
    cases = found[: page.limit]
    appeals = uow.appeals.for_cases([c.id for c in cases if c.source == "appeal"])
    return {"items": [case_view(c, appeals.get(c.id)) for c in cases], "next_cursor": more}


def _lock_case(uow, case_id: str) -> Case | None:
    """The case, locked after its target: every use case locks a target
    before its case, so that two of them never wait for each other."""
    key = domain.parse_uuid(case_id)
    case = uow.cases.get(key) if key else None
    if case is None:
        return None
    uow.targets.lock(case.target_type, case.target_id)
    return uow.cases.get_for_update(key)


def _case_in_scope(uow, caller: Caller, case_id: str) -> Case:
    case = _lock_case(uow, case_id)
    if case is None or not domain.may_moderate(caller, case.agency_code):
        raise NotFound(CASE_NOT_FOUND)
    return case


def decide(uow, caller: Caller, case_id: str, data: dict, now: datetime) -> dict:
    caller.require_role("advisor", "admin")
    decision = parse(DecisionIn, data)
    case = _case_in_scope(uow, caller, case_id)
    if case.status != "open":
        raise Conflict("Ce dossier a déjà été traité.")
    if str(case.author_id) == caller.id:
        raise Forbidden("Vous ne pouvez pas décider d'un dossier qui concerne votre propre contenu.")
    opened_at = case.opened_at or case.created_at
    if case.target_type in domain.TEXT_TARGETS:
        return _decide_text(uow, caller, case, decision, opened_at, now)
    case.status, case.action, case.decision_reason = "decided", decision.action, decision.reason
    case.decided_by, case.decided_at = uuid.UUID(caller.id), now
    target = uow.targets.lock(case.target_type, case.target_id)
    target.status, target.status_at = domain.STATUS_AFTER_DECISION[decision.action], now
    uow.record(CaseDecided(
        case_id=str(case.id), target_type=case.target_type, target_id=str(case.target_id),
        target_author_id=str(case.author_id), agency_code=case.agency_code, source=case.source,
        action=decision.action, reason=decision.reason, decided_by=caller.id, opened_at=opened_at, decided_at=now,
    ))
    for r in uow.reports.unresolved_for(case.target_type, case.target_id):
        r.resolved_at, r.outcome, r.case_id = now, decision.action, case.id
        if r.reporter_id is not None:
            uow.record(ReportResolved(report_id=str(r.id), reporter_id=str(r.reporter_id), target_type=r.target_type,
                                      target_id=str(r.target_id), action=decision.action, resolved_at=now))
    _audit(uow, actor=caller, action="case_decided", target_type=case.target_type, target_id=case.target_id,
           agency_code=case.agency_code, now=now, case_id=case.id, reason=decision.reason,
           details={"action": decision.action, "source": case.source, "reasons": list(case.reasons)})
    waited = max((now - opened_at).total_seconds(), 0.0)
    uow.after_commit(lambda: (metrics.DECISIONS.labels(decision.action).inc(), metrics.TIME_TO_DECISION.observe(waited)))
    uow.commit()
    return case_view(case)


def _decide_text(uow, caller: Caller, case: Case, decision: DecisionIn, opened_at: datetime, now: datetime) -> dict:
    """A person decides a held text: its owner publishes or drops that version."""
    verdict = domain.text_decision(decision.action)
    case.status, case.action, case.decision_reason = "decided", decision.action, decision.reason
    case.decided_by, case.decided_at = uuid.UUID(caller.id), now
    target = uow.targets.lock(case.target_type, case.target_id)
    target.status, target.status_at = domain.STATUS_AFTER_DECISION[decision.action], now
    uow.record(TextDecided(
        case_id=str(case.id), target_type=case.target_type, target_id=str(case.target_id),
        author_id=str(case.author_id), agency_code=case.agency_code, text_version=case.text_version or 0,
        verdict=verdict, reason=decision.reason, decided_by=caller.id, opened_at=opened_at, decided_at=now,
    ))
    _audit(uow, actor=caller, action="case_decided", target_type=case.target_type, target_id=case.target_id,
           agency_code=case.agency_code, now=now, case_id=case.id, reason=decision.reason,
           details={"action": decision.action, "source": case.source, "reasons": list(case.reasons),
                    "text_version": case.text_version})
    waited = max((now - opened_at).total_seconds(), 0.0)
    uow.after_commit(lambda: (metrics.DECISIONS.labels(decision.action).inc(), metrics.TIME_TO_DECISION.observe(waited)))
    uow.commit()
    return case_view(case)


# ---------------------------------------------------------------- sanctions


def impose_sanction(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_role("advisor", "admin")
    sanction_in = parse(SanctionIn, data)
    key = domain.parse_uuid(sanction_in.user_id)
    member = uow.members.live(key) if key else None
    if member is None or (caller.role != "admin" and member.agency_code != caller.agency_code):
        raise NotFound(MEMBER_NOT_FOUND)
    if str(member.id) == caller.id:
        raise Forbidden("Vous ne pouvez pas vous sanctionner vous-même.")
    if not domain.may_sanction(caller, member.role, member.agency_code):
        raise Forbidden("Un conseiller sanctionne les demandeurs d'emploi et les entreprises de son agence.")
    expires_at = domain.sanction_expiry(sanction_in.type, sanction_in.duration_hours, now)
    sanction = Sanction(id=uuid.uuid4(), user_id=member.id, agency_code=member.agency_code,
                        type=sanction_in.type, reason=sanction_in.reason, imposed_by=uuid.UUID(caller.id),
                        imposed_at=now, expires_at=expires_at)
    uow.sanctions.add(sanction)
    uow.record(SanctionImposed(sanction_id=str(sanction.id), user_id=str(member.id),
                               agency_code=member.agency_code, type=sanction.type, reason=sanction.reason,
                               expires_at=expires_at, imposed_by=caller.id, imposed_at=now))
    _audit(uow, actor=caller, action="sanction_imposed", target_type="user", target_id=member.id,
           agency_code=member.agency_code, now=now, sanction_id=sanction.id, reason=sanction.reason,
           details={"type": sanction.type, "expires_at": expires_at.isoformat() if expires_at else None})
    uow.commit()
    return sanction_view(sanction)


def lift_expired_sanctions(uow, now: datetime) -> int:
    """Lift what expired, once: rows are claimed with SKIP LOCKED and marked in
    the same transaction as the outbox row of their event."""
    lifted = uow.sanctions.expired(now)
    for s in lifted:
        s.lifted_at = now
        uow.record(SanctionLifted(sanction_id=str(s.id), user_id=str(s.user_id), type=s.type, lifted_at=now))
        _audit(uow, actor=None, action="sanction_lifted", target_type="user", target_id=s.user_id,
               agency_code=s.agency_code, now=now, sanction_id=s.id, reason="Expiration",
               details={"type": s.type, "expires_at": s.expires_at.isoformat()})
    uow.commit()
    return len(lifted)


# ---------------------------------------------------------------- appeals


def file_appeal(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_user()
    appeal_in = parse(AppealIn, data)
    case = _lock_case(uow, appeal_in.case_id)
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    if str(case.author_id) != caller.id:
        if domain.may_moderate(caller, case.agency_code):
            raise Forbidden("Seul l'auteur du contenu peut faire appel de la décision.")
        raise NotFound(CASE_NOT_FOUND)
    if case.status != "decided" or case.action == "approve":
        raise Conflict("Aucune décision à contester sur ce dossier.")
    if case.target_type in domain.TEXT_TARGETS:
        # A refused text is dropped by its owner: a new version is screened afresh.
        raise Conflict("Ce texte refusé n'est plus conservé : proposez-en une nouvelle version.")
    if uow.appeals.for_case(case.id) is not None:
        raise Conflict("Vous avez déjà fait appel de cette décision.")
    if uow.cases.open_for(case.target_type, case.target_id) is not None:
        raise Conflict("Un examen de ce contenu est déjà en cours.")
    appeal = Appeal(id=uuid.uuid4(), case_id=case.id, appellant_id=uuid.UUID(caller.id), text=appeal_in.text,
                    filed_at=now)
    uow.appeals.add(appeal)
    previous = {"action": case.action, "decided_by": str(case.decided_by) if case.decided_by else None}
    case.status, case.source, case.opened_at = "open", "appeal", now
    case.action = case.decision_reason = case.decided_by = case.decided_at = None
    uow.record(AppealFiled(case_id=str(case.id), appellant_id=caller.id, agency_code=case.agency_code, filed_at=now))
    uow.record(CaseOpened(case_id=str(case.id), target_type=case.target_type, target_id=str(case.target_id),
                          agency_code=case.agency_code, source="appeal", reasons=list(case.reasons), opened_at=now))
    _audit(uow, actor=caller, action="appeal_filed", target_type=case.target_type, target_id=case.target_id,
           agency_code=case.agency_code, now=now, case_id=case.id, details={"previous_decision": previous})
    uow.after_commit(lambda: metrics.CASES_OPENED.labels("appeal").inc())
    uow.commit()
    return {"id": str(appeal.id), "case_id": str(case.id), "status": "open", "filed_at": now.isoformat()}


# ---------------------------------------------------------------- audit


def audit_log(uow, caller: Caller, params: dict) -> dict:
    caller.require_role("advisor", "admin")
    page = parse(AuditQuery, params)
    # The cursor first: a bad one is a 422 whatever the target (fuzzing found
    # an altered cursor answered 200 beside a target id that is no UUID).
    before = paging.decode(page.cursor or None, "moderation.audit", (int,))
    target_key = None
    if page.target_id:
        target_key = domain.parse_uuid(page.target_id)
        if target_key is None:
            return {"items": [], "next_cursor": None}
    entries = uow.audit.entries(
        target_key, caller.agency_code, caller.role == "admin", page.limit + 1, before[0] if before else None
    )
    more = paging.next_cursor("moderation.audit", entries, page.limit, lambda e: (e.id,))
    return {"items": [audit_view(e) for e in entries[: page.limit]], "next_cursor": more}


# ---------------------------------------------------------------- unanswered questions and the queue gauge


def flag_unanswered_questions(uow, now: datetime, after_hours: float) -> int:
    due = uow.targets.unanswered_due(now - timedelta(hours=after_hours))
    for q in due:
        q.unanswered_flagged_at = now
        uow.record(QuestionUnanswered(post_id=str(q.target_id), post_title=q.title or "", author_id=str(q.author_id),
                                      agency_code=q.agency_code, asked_at=q.published_at, flagged_at=now))
    uow.commit()
    return len(due)


def prune_activity(uow, now: datetime, screener: Screener) -> None:
    limits = screener.rules.thresholds
    uow.activity.prune(now - timedelta(minutes=max(limits.duplicate_window_minutes, limits.flood_window_minutes)))
    uow.commit()


def queue_depth(uow) -> dict[str, int]:
    return uow.cases.open_per_agency()


# ---------------------------------------------------------------- GDPR


def export_user_data(uow, caller: Caller) -> dict:
    """Everything moderation holds about the caller."""
    caller.require_user()
    me = uuid.UUID(caller.id)
    member = uow.members.live(me)
    return {
        "member": {"role": member.role, "agency_code": member.agency_code} if member else None,
        "reports_filed": [report_view(r) for r in uow.reports.by_reporter(me)],
        "cases_about_my_content": [case_view(c) for c in uow.cases.about_author(me)],
        "appeals": [{"id": str(a.id), "case_id": str(a.case_id), "text": a.text, "filed_at": a.filed_at.isoformat()}
                    for a in uow.appeals.by_appellant(me)],
        "sanctions": [sanction_view(s) for s in uow.sanctions.of_user(me)],
        "moderation_actions": [audit_view(e) for e in uow.audit.by_actor(me)],
    }


def erase_user(uow, event: UserErased) -> None:
    """The member's personal data goes; their content's cases stay, shown as by
    a deleted member. The audit log keeps its entries (GDPR art. 17(3)(b) and
    (e): the record of moderation decisions is kept to answer for them); it
    holds opaque ids and staff-written reasons only, never a member's text."""
    user = uuid.UUID(event.user_id)
    uow.members.erase(event)
    uow.reports.erase_reporter(user)
    # An erased member's pending texts (profile, requests, events) are gone with them: nothing to decide.
    uow.cases.close_open(user, domain.TEXT_TARGETS)
    uow.cases.erase_author(user, domain.ERASED_EXCERPT)
    uow.targets.erase_author(user)
    uow.appeals.erase_appellant(user, domain.ERASED_APPEAL)
    uow.sanctions.delete_of_user(user)
    uow.activity.delete_of_author(user)
