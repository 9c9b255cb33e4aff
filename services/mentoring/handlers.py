"""mentoring's use cases: mentor profiles, requests, matches, mentorships
and their end, and members' personal data."""
import uuid
from datetime import datetime

from services.mentoring import domain
from services.mentoring.models import Mentor, MentoringRequest
from services.mentoring.repository import Duplicate
from shared import paging
from shared.api.mentoring import EndIn, MentorFilters, MentorIn, RequestFilters, RequestIn
from shared.caller import Caller
from shared.contracts.identity import UserErased
from shared.contracts.moderation import TextDecided, TextScreened
from shared.contracts.mentoring import (
    MentoringAccepted,
    MentoringDeclined,
    MentoringMessageSubmitted,
    MentoringRequested,
    MentorProfileCreated,
    MentorshipEnded,
)
from shared.errors import Conflict, NotFound
from shared.validation import parse

MENTOR_NOT_FOUND = "Mentor introuvable."
DELETED_MEMBER = "Membre supprimé"


# ---------------------------------------------------------------- views


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _str(value) -> str | None:
    return str(value) if value is not None else None


def _name(names: dict, user_id) -> str | None:
    return DELETED_MEMBER if user_id is None else names.get(user_id)


def mentor_view(mentor: Mentor, active: int, names: dict) -> dict:
    return {
        "id": str(mentor.id),
        "user_id": _str(mentor.user_id),
        "display_name": _name(names, mentor.user_id),
        "topics": list(mentor.topics or []),
        "bio": mentor.bio,
        "capacity": mentor.capacity,
        "active_mentorships": active,
        "seats_left": domain.seats_left(active, mentor.capacity),
        "status": mentor.status,
        "created_at": _iso(mentor.created_at),
    }


def request_view(request: MentoringRequest, names: dict, caller: Caller | None = None) -> dict:
    view = {
        "id": str(request.id),
        "status": request.status,
        "mentor": {
            "id": str(request.mentor_id),
            "user_id": _str(request.mentor_user_id),
            "display_name": _name(names, request.mentor_user_id),
        },
        "mentee": {"id": _str(request.mentee_id), "display_name": _name(names, request.mentee_id)},
        "agency_code": request.agency_code,
        "message": request.message,
        "created_at": _iso(request.created_at),
        "decided_at": _iso(request.decided_at),
        "accepted_at": _iso(request.accepted_at),
        "ends_at": _iso(request.ends_at),
        "ended_at": _iso(request.ended_at),
        "ended_by": _str(request.ended_by),
        "end_reason": request.end_reason,
        "message_moderation": request.message_moderation,
    }
    if caller is not None:
        view["my_role"] = "mentor" if _str(request.mentor_user_id) == caller.id else "mentee"
    return view


def _request_views(uow, requests: list[MentoringRequest], caller: Caller) -> list[dict]:
    names = uow.members.names([r.mentor_user_id for r in requests] + [r.mentee_id for r in requests])
    return [request_view(r, names, caller) for r in requests]


def _mentor_views(uow, mentors: list[Mentor]) -> list[dict]:
    counts = uow.requests.active_counts([m.id for m in mentors])
    names = uow.members.names(m.user_id for m in mentors)
    return [mentor_view(m, counts.get(m.id, 0), names) for m in mentors]


def _key(value, detail: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(detail) from None


# ---------------------------------------------------------------- mentors


def create_mentor(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_role("company")
    mentor_in = parse(MentorIn, data)
    user_id = uuid.UUID(caller.id)
    already = Conflict("Vous avez déjà un profil de mentor.")
    if uow.mentors.by_user(user_id) is not None:
        raise already
    mentor = Mentor(
        id=uuid.uuid4(), user_id=user_id, topics=list(dict.fromkeys(mentor_in.topics)), bio=mentor_in.bio,
        capacity=mentor_in.capacity, status="active", created_at=now,
    )
    try:
        uow.mentors.add(mentor)
    except Duplicate:  # a concurrent creation won
        raise already from None
    uow.record(
        MentorProfileCreated(
            mentor_id=str(mentor.id), user_id=caller.id, topics=list(mentor.topics), capacity=mentor.capacity,
            created_at=now,
        )
    )
    uow.commit()
    return _mentor_views(uow, [mentor])[0]


def list_mentors(uow, caller: Caller, query: dict) -> dict:
    caller.require_user()
    filters = parse(MentorFilters, query)
    after = paging.decode(filters.cursor, "mentoring.mentors", (datetime, uuid.UUID))
    rows = uow.mentors.search(filters.topic, after, filters.limit + 1)
    more = paging.next_cursor("mentoring.mentors", rows, filters.limit, lambda m: (m.created_at, m.id))
    return {"items": _mentor_views(uow, rows[: filters.limit]), "next_cursor": more}


# ---------------------------------------------------------------- requests and mentorships


def request_mentoring(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_role("job_seeker")
    request_in = parse(RequestIn, data)
    mentor = uow.mentors.get(_key(request_in.mentor_id, MENTOR_NOT_FOUND))
    if mentor is None or mentor.status != "active":
        raise NotFound(MENTOR_NOT_FOUND)
    mentee_id = uuid.UUID(caller.id)
    already = Conflict("Vous avez déjà une demande ou un mentorat en cours avec ce mentor.")
    if uow.requests.open_between(mentor.id, mentee_id) is not None:
        raise already
    request = MentoringRequest(
        id=uuid.uuid4(), mentor_id=mentor.id, mentor_user_id=mentor.user_id, mentee_id=mentee_id,
        agency_code=caller.agency_code, message=request_in.message, status="pending", created_at=now,
        message_moderation=domain.MESSAGE_PENDING,
    )
    try:
        uow.requests.add(request)
    except Duplicate:
        raise already from None
    # The mentor sees the request, and is told of it, once moderation finds its message clean (issue 13).
    uow.record(
        MentoringMessageSubmitted(
            request_id=str(request.id), mentee_id=caller.id, agency_code=caller.agency_code, text_version=1,
            message=request.message, submitted_at=now,
        )
    )
    uow.commit()
    return _request_views(uow, [request], caller)[0]


def message_verdict(uow, event: TextScreened | TextDecided, now: datetime) -> None:
    """Moderation's verdict on a request's message: clean or approved, the
    mentor sees the request and is told (mentoring.request_created); held, it
    keeps waiting; refused, the request is cancelled and its message dropped."""
    if event.target_type != "mentoring_request":
        return
    request = uow.requests.get_for_update(_key(event.target_id, domain.REQUEST_NOT_FOUND))
    if request is None or not domain.verdict_applies(request.status, request.message_moderation, event.text_version):
        return
    request.message_moderation = domain.message_after_verdict(event.verdict)
    if request.message_moderation is None:
        uow.record(
            MentoringRequested(
                request_id=str(request.id), mentor_id=str(request.mentor_id), mentor_user_id=str(request.mentor_user_id),
                mentee_id=str(request.mentee_id), agency_code=request.agency_code, created_at=request.created_at,
            )
        )
    elif request.message_moderation == domain.MESSAGE_REFUSED:
        request.status, request.decided_at, request.message = "cancelled", now, ""


def _locked_request(uow, caller: Caller, request_id: str) -> tuple[MentoringRequest, str]:
    caller.require_user()
    request = uow.requests.get_for_update(_key(request_id, domain.REQUEST_NOT_FOUND))
    if request is None:
        raise NotFound(domain.REQUEST_NOT_FOUND)
    return request, domain.party_of(_str(request.mentor_user_id), _str(request.mentee_id), caller,
                                    request.message_moderation)


def accept_request(uow, caller: Caller, request_id: str, now: datetime, months: int) -> dict:
    """A match, unless the mentor's active mentorships already fill their
    capacity. The mentor row is locked, so concurrent acceptances are counted
    one after the other."""
    request, party = _locked_request(uow, caller, request_id)
    domain.check_is_mentor(party)
    domain.check_pending(request.status)
    mentor = uow.mentors.get_for_update(request.mentor_id)
    domain.check_has_capacity(uow.requests.count_active(mentor.id), mentor.capacity)
    request.status = "active"
    request.decided_at = request.accepted_at = now
    request.ends_at = domain.add_months(now, months)
    uow.record(
        MentoringAccepted(
            request_id=str(request.id), mentor_id=str(mentor.id), mentor_user_id=caller.id,
            mentee_id=str(request.mentee_id), agency_code=request.agency_code, requested_at=request.created_at,
            accepted_at=now, ends_at=request.ends_at,
        )
    )
    uow.commit()
    return _request_views(uow, [request], caller)[0]


def decline_request(uow, caller: Caller, request_id: str, now: datetime) -> dict:
    request, party = _locked_request(uow, caller, request_id)
    domain.check_is_mentor(party)
    domain.check_pending(request.status)
    request.status = "declined"
    request.decided_at = now
    uow.record(
        MentoringDeclined(
            request_id=str(request.id), mentor_user_id=caller.id, mentee_id=str(request.mentee_id),
            agency_code=request.agency_code, declined_at=now,
        )
    )
    uow.commit()
    return _request_views(uow, [request], caller)[0]


def _ended(request: MentoringRequest, ended_by: str | None, early: bool, now: datetime) -> MentorshipEnded:
    return MentorshipEnded(
        request_id=str(request.id), mentor_id=str(request.mentor_id), mentor_user_id=str(request.mentor_user_id),
        mentee_id=str(request.mentee_id), agency_code=request.agency_code, ended_by=ended_by, early=early,
        ended_at=now,
    )


def end_mentorship(uow, caller: Caller, request_id: str, data: dict, now: datetime) -> dict:
    """Either side ends an active mentorship early, which frees a seat."""
    request, _ = _locked_request(uow, caller, request_id)
    end_in = parse(EndIn, data)
    domain.check_active(request.status)
    request.status = "ended"
    request.ended_at = now
    request.ended_by = uuid.UUID(caller.id)
    request.end_reason = end_in.reason or None
    uow.record(_ended(request, caller.id, True, now))
    uow.commit()
    return _request_views(uow, [request], caller)[0]


def list_requests(uow, caller: Caller, query: dict) -> dict:
    caller.require_user()
    filters = parse(RequestFilters, query)
    after = paging.decode(filters.cursor, "mentoring.requests", (datetime, uuid.UUID))
    rows = uow.requests.of_member(uuid.UUID(caller.id), filters.role, filters.status, after, filters.limit + 1)
    more = paging.next_cursor("mentoring.requests", rows, filters.limit, lambda r: (r.created_at, r.id))
    return {"items": _request_views(uow, rows[: filters.limit], caller), "next_cursor": more}


def complete_due_mentorships(uow, now: datetime, batch_size: int) -> int:
    """Active mentorships past `ends_at` become completed, each with one
    mentoring.mentorship_ended (early false) in the same transaction; rows
    claimed by another replica are skipped: exactly once."""
    due = uow.requests.claim_due(now, batch_size)
    for request in due:
        request.status = "completed"
        request.ended_at = now
        uow.record(_ended(request, None, False, now))
    uow.commit()
    return len(due)


# ---------------------------------------------------------------- members and personal data


def erase_member(uow, event: UserErased, now: datetime) -> None:
    """GDPR erasure: open requests are withdrawn, running mentorships end
    (the other side is told), messages and the mentor profile's bio are
    deleted, and the member's id and name are forgotten."""
    user_id = uuid.UUID(event.user_id)
    for request in uow.requests.all_of_member_for_update(user_id):
        if request.status == "pending":
            request.status = "cancelled"
            request.decided_at = now
        elif request.status == "active":
            request.status = "ended"
            request.ended_at = now
            uow.record(_ended(request, None, True, now))
        if request.mentee_id == user_id:
            request.message = ""
            request.mentee_id = None
        if request.mentor_user_id == user_id:
            request.mentor_user_id = None
        if request.ended_by == user_id:
            request.ended_by = None
    mentor = uow.mentors.by_user(user_id)
    if mentor is not None:
        mentor.user_id = None
        mentor.bio = ""
        mentor.topics = []
        mentor.status = "withdrawn"
    uow.members.erase(event)


def export_user_data(uow, caller: Caller) -> dict:
    caller.require_user()
    user_id = uuid.UUID(caller.id)
    member = uow.members.live(user_id)
    mentor = uow.mentors.by_user(user_id)
    requests = uow.requests.of_member(user_id, None, None, None, 100000)
    views = _request_views(uow, requests, caller)
    return {
        "member": (
            {"id": str(member.id), "display_name": member.display_name, "role": member.role,
             "agency_code": member.agency_code}
            if member else None
        ),
        "mentor_profile": _mentor_views(uow, [mentor])[0] if mentor else None,
        "requests_as_mentee": [v for v in views if v["my_role"] == "mentee"],
        "requests_as_mentor": [v for v in views if v["my_role"] == "mentor"],
    }
