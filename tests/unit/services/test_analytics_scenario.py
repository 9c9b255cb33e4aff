"""(No tests here.) A known month of the pilot as contract events, shared by analytics' unit and integration tests.

March 2026 in HDF-LILLE, with a few events elsewhere that must not count.
The expected figures are worked out by hand in EXPECTED_LILLE_MARCH (see docs/kpis.md).
"""
import uuid
from datetime import datetime, timedelta, timezone

from shared.contracts import events as ev
from shared.contracts import identity as idn
from shared.contracts import mentoring as mt
from shared.contracts import moderation as md
from shared.contracts import posts as ps


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


NOW = at(15, 12, month=4)
LILLE, ROUBAIX = "HDF-LILLE", "HDF-ROUBAIX"


def new_id() -> str:
    return str(uuid.uuid4())


class People:
    def __init__(self):
        self.js1, self.js2, self.js3, self.js4 = (new_id() for _ in range(4))
        self.adv, self.company, self.other = new_id(), new_id(), new_id()


def registrations(p: People):
    def reg(user, role, agency, when):
        return idn.UserRegistered(user_id=user, email=f"{user}@exemple.fr", display_name="Camille Dupont",
                                  role=role, agency_code=agency, registered_at=when)
    return [
        reg(p.js1, "job_seeker", LILLE, at(1, month=2)),
        reg(p.js2, "job_seeker", LILLE, at(2, 9)),
        reg(p.js3, "job_seeker", LILLE, at(10, 9)),
        reg(p.js4, "job_seeker", LILLE, at(25, 9)),
        reg(p.adv, "advisor", LILLE, at(1, month=1)),
        reg(p.company, "company", None, at(1, month=1)),
        reg(p.other, "job_seeker", ROUBAIX, at(5, 9)),
    ]


def post(pid, author, kind, created, agency=LILLE, published=True):
    out = [ps.PostCreated(post_id=pid, author_id=author, agency_code=agency, kind=kind, title="Titre privé",
                          body="Texte privé", topics=["N1103"], created_at=created)]
    if published:
        out.append(ps.PostPublished(post_id=pid, author_id=author, agency_code=agency, kind=kind, topics=["N1103"],
                                    published_at=created + timedelta(minutes=1)))
    return out


def comment(pid, post_author, post_kind, author, role, published, agency=LILLE):
    cid = new_id()
    return [
        ps.CommentCreated(comment_id=cid, post_id=pid, post_author_id=post_author, post_kind=post_kind,
                          author_id=author, agency_code=agency, body="Réponse privée", created_at=published),
        ps.CommentPublished(comment_id=cid, post_id=pid, post_title="Titre privé", post_author_id=post_author,
                            post_kind=post_kind, author_id=author, author_role=role, agency_code=agency,
                            created_at=published, published_at=published),
    ]


def screened(target, decision, when):
    return md.ContentScreened(target_type="post", target_id=target, decision=decision,
                              reasons=[] if decision == "publish" else ["personal_data.phone"], screened_at=when)


def month_of_events(p: People) -> list:
    q0, q1, q2, q3, d1, q_roubaix = (new_id() for _ in range(6))
    e1, e2, e3, e4 = (new_id() for _ in range(4))
    events = [*registrations(p)]
    events += post(q0, p.js1, "question", at(20, 10, month=2))
    events += post(q1, p.js1, "question", at(3, 10))
    events += comment(q1, p.js1, "question", p.js2, "job_seeker", at(3, 10, 30))     # 30 min after asking
    events += comment(q1, p.js1, "question", p.adv, "advisor", at(3, 11))
    events += post(q2, p.js2, "question", at(5, 8))
    events += comment(q2, p.js2, "question", p.adv, "advisor", at(6, 10))              # 26 h: 1560 min
    events += post(q3, p.js3, "question", at(12, 9))
    events += comment(q3, p.js3, "question", p.js3, "job_seeker", at(12, 9, 10))       # own comment: no answer
    events += post(d1, p.js1, "discussion", at(15, 12))
    events += comment(d1, p.js1, "discussion", p.js3, "job_seeker", at(15, 13))
    events += post(q_roubaix, p.other, "question", at(6, 9), agency=ROUBAIX)
    events += comment(q_roubaix, p.other, "question", p.js1, "job_seeker", at(6, 9, 5), agency=ROUBAIX)
    events += [
        ps.ReactionAdded(post_id=q2, post_author_id=p.js2, user_id=p.js3, type="helpful", agency_code=LILLE,
                         reacted_at=at(20, 8)),
        ps.ReactionAdded(post_id=d1, post_author_id=p.js1, user_id=p.js2, type="thanks", agency_code=LILLE,
                         reacted_at=at(5, 8, month=4)),                                   # js2 comes back after 30 days
        screened(q1, "publish", at(3, 10)), screened(q2, "publish", at(5, 8)), screened(q3, "hold", at(12, 9)),
        screened(d1, "publish", at(15, 12)), screened(q_roubaix, "hold", at(6, 9)),
    ]

    def cal(eid, agency, capacity, starts):
        return ev.CalendarEventCreated(calendar_event_id=eid, organizer_id=p.adv, organizer_role="advisor",
                                       agency_code=agency, kind="workshop", title="Atelier CV", starts_at=starts,
                                       ends_at=starts + timedelta(hours=2), capacity=capacity, topics=[],
                                       created_at=at(1, 8))

    def confirmed(rid, eid, user, when, promoted=False, agency=LILLE):
        return ev.RegistrationConfirmed(registration_id=rid, calendar_event_id=eid, user_id=user, agency_code=agency,
                                        title="Atelier CV", starts_at=when, promoted_from_waitlist=promoted,
                                        confirmed_at=when)

    r1, r2, r3, r4, r5, r6, r7 = (new_id() for _ in range(7))
    events += [
        cal(e1, LILLE, 4, at(20, 14)), cal(e2, LILLE, 2, at(28, 14)), cal(e3, ROUBAIX, 5, at(21, 14)),
        cal(e4, LILLE, 10, at(10, 14, month=4)),
        confirmed(r1, e1, p.js1, at(10, 8)), confirmed(r2, e1, p.js2, at(11, 8)), confirmed(r3, e1, p.js3, at(12, 8)),
        ev.RegistrationCancelled(registration_id=r3, calendar_event_id=e1, user_id=p.js3, agency_code=LILLE,
                                 was_confirmed=True, cancelled_at=at(15, 8)),
        ev.RegistrationWaitlisted(registration_id=r4, calendar_event_id=e1, user_id=p.js4, agency_code=LILLE,
                                  position=1, waitlisted_at=at(12, 9)),
        confirmed(r4, e1, p.js4, at(15, 8), promoted=True),
        confirmed(r5, e2, p.js1, at(20, 8)),
        ev.CalendarEventCancelled(calendar_event_id=e2, agency_code=LILLE, title="Atelier CV", starts_at=at(28, 14),
                                  reason="Salle indisponible", registrant_ids=[p.js1], cancelled_by=p.adv,
                                  cancelled_at=at(25, 8)),
        confirmed(r6, e4, p.js2, at(30, 8)),
        confirmed(r7, e3, p.other, at(12, 8), agency=ROUBAIX),
        ev.AttendanceRecorded(calendar_event_id=e1, user_id=p.js1, agency_code=LILLE, attended=True, recorded_at=at(20, 19)),
        ev.AttendanceRecorded(calendar_event_id=e1, user_id=p.js2, agency_code=LILLE, attended=True, recorded_at=at(20, 19)),
        ev.AttendanceRecorded(calendar_event_id=e1, user_id=p.js2, agency_code=LILLE, attended=False, recorded_at=at(21, 9)),
        ev.AttendanceRecorded(calendar_event_id=e1, user_id=p.js4, agency_code=LILLE, attended=True, recorded_at=at(20, 19)),
        ev.AttendanceRecorded(calendar_event_id=e3, user_id=p.other, agency_code=ROUBAIX, attended=False, recorded_at=at(21, 19)),
    ]

    def match(mentee, agency, requested, accepted):
        return mt.MentoringAccepted(request_id=new_id(), mentor_id=new_id(), mentor_user_id=p.company, mentee_id=mentee,
                                    agency_code=agency, requested_at=requested, accepted_at=accepted,
                                    ends_at=accepted + timedelta(days=180))

    events += [
        match(p.js1, LILLE, at(1, 10), at(2, 10)),        # 24 h
        match(p.js2, LILLE, at(10, 0), at(10, 12)),       # 12 h
        match(p.other, ROUBAIX, at(10, 0), at(20, 0)),
    ]

    def opened(cid, source, when, agency=LILLE):
        return md.CaseOpened(case_id=cid, target_type="post", target_id=q3, agency_code=agency, source=source,
                             reasons=["personal_data.phone"], opened_at=when)

    def decided(cid, source, action, opened_at, decided_at, agency=LILLE):
        return md.CaseDecided(case_id=cid, target_type="post", target_id=q3, target_author_id=p.js3, agency_code=agency,
                              source=source, action=action, reason="Motif privé", decided_by=p.adv,
                              opened_at=opened_at, decided_at=decided_at)

    c1, c2, c3, c4 = (new_id() for _ in range(4))
    events += [
        opened(c1, "screening", at(3, 10)), opened(c2, "reports", at(4, 10)), opened(c3, "appeal", at(10, 0)),
        opened(c4, "screening", at(6, 9), agency=ROUBAIX),
        decided(c1, "screening", "approve", at(3, 10), at(3, 10, 10)),      # 10 min
        decided(c2, "reports", "hide", at(4, 10), at(4, 12)),               # 120 min
        decided(c3, "appeal", "approve", at(10, 0), at(10, 1)),             # 60 min
        decided(c4, "screening", "reject", at(6, 9), at(6, 9, 5), agency=ROUBAIX),
    ]
    return events


EXPECTED_LILLE_MARCH = {
    "active_users": 5,               # js1, js2, js3, adv, js4 (waitlisted); the company has no agency
    "new_members": 3,                # js2, js3, js4
    "posts": 4,                      # q1, q2, q3, d1
    "questions": 3,
    "answered_question_ratio": 0.6667,       # q1, q2 of 3
    "answered_within_24h_ratio": 0.3333,     # q1 only
    "median_minutes_to_first_answer": 795.0,   # (30 + 1560) / 2
    "p90_minutes_to_first_answer": 1407.0,     # 30 + 0.9 × 1530
    "peer_answer_ratio": 0.3333,             # js2 on q1; the advisor twice
    "members_with_interaction_ratio": 0.75,  # js1, js2, js3 of 4
    "distinct_peers_per_member": 2.75,       # js1 5 (a Roubaix member too), js2 4, js3 2, js4 0
    "retention_30d_ratio": 0.5,              # js2 back on April 5; js3 not; js4 too recent
    "event_registrations": 6,                # r1 to r6
    "event_fill_rate": 0.75,                 # e1: r1, r2, r4 of 4 seats (e2 cancelled)
    "event_no_show_rate": 0.3333,            # js2 corrected to absent, of 3
    "mentoring_matches": 2,
    "median_hours_to_mentoring_match": 18.0,
    "moderation": {
        "cases_opened": 3,
        "median_minutes_to_decision": 60.0,
        "auto_held_ratio": 0.25,             # q3 of q1, q2, q3, d1
        "appeals_overturned_ratio": 1.0,
    },
}

EMPTY = {
    "active_users": 0, "new_members": 0, "posts": 0, "questions": 0, "answered_question_ratio": None,
    "answered_within_24h_ratio": None, "median_minutes_to_first_answer": None, "p90_minutes_to_first_answer": None,
    "peer_answer_ratio": None, "members_with_interaction_ratio": None, "distinct_peers_per_member": None,
    "retention_30d_ratio": None, "event_registrations": 0, "event_fill_rate": None, "event_no_show_rate": None,
    "mentoring_matches": 0, "median_hours_to_mentoring_match": None,
    "moderation": {"cases_opened": 0, "median_minutes_to_decision": None, "auto_held_ratio": None,
                   "appeals_overturned_ratio": None},
}
