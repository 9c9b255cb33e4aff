"""moderation's unit of work and data access."""
from sqlalchemy import and_, bindparam, case, cast, delete, func, null, or_, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert

from services.moderation.models import (
    ERASED_USER, Activity, Appeal, AuditEntry, Case, Member, Report, Sanction, Target,
)
from shared.db.locks import lock_keys
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork


def _screening_statement():
    """The target marked pending (see TargetRepository.screening), its
    author's recent writing and the target's open case, one statement built
    once: building and keying a statement per post cost more CPU than
    running it (issue 17). Rows of (target_id, fingerprint, created, at,
    open_case): the writing with open_case null, then the open case's id,
    if any, alone on its row."""
    targets, activity, cases = Target.__table__, Activity.__table__.c, Case.__table__.c
    upsert = insert(targets).values({
        **{name: bindparam(name) for name in ("target_type", "target_id", "post_id", "author_id", "agency_code",
                                              "kind", "title", "status_at")},
        "status": "pending",
    })
    newer = or_(targets.c.status_at.is_(None), targets.c.status_at <= upsert.excluded.status_at)
    upsert = upsert.on_conflict_do_update(
        index_elements=[targets.c.target_type, targets.c.target_id],
        set_={
            "post_id": upsert.excluded.post_id, "author_id": upsert.excluded.author_id,
            "agency_code": upsert.excluded.agency_code,
            "kind": func.coalesce(upsert.excluded.kind, targets.c.kind),
            "title": func.coalesce(upsert.excluded.title, targets.c.title),
            "status": case((newer, "pending"), else_=targets.c.status),
            "status_at": case((newer, upsert.excluded.status_at), else_=targets.c.status_at),
        },
    )
    writing = (
        select(activity.target_id, activity.fingerprint, activity.created, activity.at,
               cast(null(), cases.id.type).label("open_case"))
        .where(activity.author_id == bindparam("author_id"), activity.at >= bindparam("recent_since"))
    )
    open_case = (
        select(null(), null(), null(), null(), cases.id)
        .where(cases.target_type == bindparam("target_type"), cases.target_id == bindparam("target_id"),
               cases.status == "open")
    )
    return union_all(writing, open_case).add_cte(upsert.cte("marked"))


_STATUS_STATEMENTS: dict[tuple, object] = {}


def _status_statement(fields: tuple[str, ...]):
    """TargetRepository.set_status's statement for these fields, built once per set of fields."""
    targets = Target.__table__
    upsert = insert(targets).values({name: bindparam(name) for name in ("target_type", "target_id", "status",
                                                                        "status_at", *fields)})
    newer = or_(targets.c.status_at.is_(None), targets.c.status_at <= upsert.excluded.status_at)
    statement = upsert.on_conflict_do_update(
        index_elements=[targets.c.target_type, targets.c.target_id],
        set_={
            **{name: upsert.excluded[name] for name in fields},
            "status": case((newer, upsert.excluded.status), else_=targets.c.status),
            "status_at": case((newer, upsert.excluded.status_at), else_=targets.c.status_at),
        },
    ).returning(targets.c.status)
    _STATUS_STATEMENTS[fields] = statement
    return statement


ACTIVITY_COLUMNS = ("author_id", "target_type", "target_id", "fingerprint", "created", "at")
SCREENING = _screening_statement()
# A unit of work's writing, recorded at its commit in one statement (a batch
# of posts: one insert, not one per post).
INSERT_ACTIVITY = text(
    "INSERT INTO activity (author_id, target_type, target_id, fingerprint, created, at) "
    "SELECT * FROM unnest(CAST(:author_id AS uuid[]), CAST(:target_type AS text[]), CAST(:target_id AS uuid[]), "
    "CAST(:fingerprint AS text[]), CAST(:created AS boolean[]), CAST(:at AS timestamptz[]))"
)
INSERT_CASE = insert(Case.__table__)
INSERT_AUDIT = insert(AuditEntry.__table__)


class ModerationUnitOfWork(SqlUnitOfWork):
    """Adds `after_commit`: what to do once the transaction committed
    (metrics); the writing screening recorded is inserted with the commit."""

    def _start(self):
        self._after_commit = []
        self.cases = CaseRepository(self.session)
        self.targets = TargetRepository(self.session)
        self.reports = ReportRepository(self.session)
        self.members = MemberCopyRepository(self.session, Member)
        self.sanctions = SanctionRepository(self.session)
        self.appeals = AppealRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.activity = ActivityRepository(self.session)

    def after_commit(self, action) -> None:
        self._after_commit.append(action)

    def _commit_now(self) -> None:
        self.activity.write_recorded()
        super()._commit_now()

    def commit(self) -> None:
        super().commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()


class CaseRepository:
    def __init__(self, session):
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)
        self.session.flush()

    def get(self, case_id) -> Case | None:
        return self.session.get(Case, case_id)

    def get_for_update(self, case_id) -> Case | None:
        return self.session.get(Case, case_id, with_for_update=True, populate_existing=True)

    def insert(self, case: Case) -> None:
        """A new case written at once, with Core: the ORM's flush cost more CPU
        than its statement (issue 17). The object stays out of the session:
        it is not to be changed afterwards."""
        values = {column.key: getattr(case, column.key) for column in Case.__table__.columns}
        self.session.connection().execute(INSERT_CASE, {k: v for k, v in values.items() if v is not None})

    def open_for(self, target_type: str, target_id) -> Case | None:
        """The target's open case, locked."""
        return self.session.scalar(
            select(Case)
            .where(Case.target_type == target_type, Case.target_id == target_id, Case.status == "open")
            .with_for_update()
        )

    def lock_if_open(self, case_id) -> Case | None:
        """The case `case_id`, locked, if it is still open once locked (a
        moderator may have decided it since it was seen open)."""
        case = self.get_for_update(case_id)
        return case if case is not None and case.status == "open" else None

    def last_decided_for(self, target_type: str, target_id) -> Case | None:
        """The latest decision about a target (a person's or the rules'), if any."""
        return self.session.scalar(
            select(Case)
            .where(Case.target_type == target_type, Case.target_id == target_id, Case.status == "decided")
            .order_by(Case.decided_at.desc().nulls_last(), Case.created_at.desc())
            .limit(1)
        )

    def count_open(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Case).where(Case.status == "open"))

    def queue(self, agency_code: str | None, all_agencies: bool, limit: int, after=None) -> list[Case]:
        """Open cases, newest in the queue first; `after` is the (opened_at, id) of the last one seen."""
        query = select(Case).where(Case.status == "open")
        if not all_agencies:
            query = query.where(Case.agency_code == agency_code)
        if after is not None:
            opened_at, case_id = after
            query = query.where(
                or_(Case.opened_at < opened_at, and_(Case.opened_at == opened_at, Case.id < case_id))
            )
        return list(self.session.scalars(query.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)))

    def open_per_agency(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Case.agency_code, func.count()).where(Case.status == "open").group_by(Case.agency_code)
        )
        return {agency or "": count for agency, count in rows}

    def about_author(self, author_id) -> list[Case]:
        return list(self.session.scalars(select(Case).where(Case.author_id == author_id).order_by(Case.created_at)))

    def erase_author(self, author_id, excerpt: str) -> None:
        self.session.execute(
            update(Case).where(Case.author_id == author_id).values(author_id=ERASED_USER, excerpt=excerpt)
        )

    def close_open(self, author_id, target_types) -> None:
        self.session.execute(
            update(Case)
            .where(Case.author_id == author_id, Case.target_type.in_(target_types), Case.status == "open")
            .values(status="closed")
        )


class TargetRepository:
    def __init__(self, session):
        self.session = session

    def get(self, target_type: str, target_id) -> Target | None:
        return self.session.get(Target, (target_type, target_id))

    def lock(self, target_type: str, target_id) -> Target:
        """The target's row, created empty if posts' events did not tell of it yet, locked."""
        self.session.execute(
            insert(Target).values(target_type=target_type, target_id=target_id).on_conflict_do_nothing()
        )
        return self.session.get(Target, (target_type, target_id), with_for_update=True, populate_existing=True)

    def screening(self, target_type: str, target_id, *, post_id, author_id, agency_code: str | None,
                  kind: str | None, title: str | None, at, recent_since) -> tuple[list, object | None]:
        """Mark the target pending with what the post or comment tells of it
        (its row created if posts' events did not tell of it yet; locked until
        the commit); return its author's writing since `recent_since` (rows of
        target_id, fingerprint, created, at) and the id of the target's open
        case, if any (not locked: CaseRepository.lock_if_open): one round trip
        instead of five (insert, select for update, the update at the flush,
        the activity read, the case read). An older event (`at` before the
        status's) leaves the status as it is. The reads' snapshot may predate
        the wait for the target's lock: they then miss this target's own
        writing, which the spam rules ignore (spam.spam_reasons), and a case
        opened meanwhile, which an edit looks up again (handlers._screen)."""
        rows = self.session.connection().execute(SCREENING, {
            "target_type": target_type, "target_id": target_id, "post_id": post_id, "author_id": author_id,
            "agency_code": agency_code, "kind": kind, "title": title, "status_at": at, "recent_since": recent_since,
        }).all()
        open_case = next((row.open_case for row in rows if row.open_case is not None), None)
        return [row for row in rows if row.open_case is None], open_case

    def set_status(self, target_type: str, target_id, status: str, at, **fields) -> str:
        """What posts tells of a target: `status` as of `at` unless a newer
        status is known, and `fields` that are not None; the row created if
        unknown, locked until the commit. Returns the status it has now. One
        statement (it took three: an insert, a select for update, the update
        at the flush; issue 17)."""
        given = {name: value for name, value in fields.items() if value is not None}
        statement = _STATUS_STATEMENTS.get(tuple(given))
        if statement is None:
            statement = _status_statement(tuple(given))
        return self.session.connection().execute(statement, {
            "target_type": target_type, "target_id": target_id, "status": status, "status_at": at, **given,
        }).scalar_one()

    def unanswered_due(self, published_before, limit: int = 100) -> list[Target]:
        """Questions still waiting for an answer, claimed so that no other replica takes them."""
        return list(
            self.session.scalars(
                select(Target)
                .where(
                    Target.target_type == "post", Target.kind == "question", Target.status == "published",
                    Target.answered_at.is_(None), Target.unanswered_flagged_at.is_(None),
                    Target.published_at <= published_before,
                )
                .order_by(Target.published_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    def erase_author(self, author_id) -> None:
        self.session.execute(update(Target).where(Target.author_id == author_id).values(author_id=ERASED_USER))


class ReportRepository:
    def __init__(self, session):
        self.session = session

    def add_once(self, report: Report) -> bool:
        """False when this member already reported this target (the unique key decides)."""
        inserted = self.session.execute(
            insert(Report)
            .values(
                id=report.id, reporter_id=report.reporter_id, target_type=report.target_type,
                target_id=report.target_id, agency_code=report.agency_code, reason=report.reason,
                detail=report.detail, created_at=report.created_at,
            )
            .on_conflict_do_nothing()
            .returning(Report.id)
        ).first()
        return inserted is not None

    def unresolved_for(self, target_type: str, target_id) -> list[Report]:
        return list(
            self.session.scalars(
                select(Report)
                .where(Report.target_type == target_type, Report.target_id == target_id, Report.resolved_at.is_(None))
                .order_by(Report.created_at)
            )
        )

    def by_reporter(self, reporter_id) -> list[Report]:
        return list(self.session.scalars(select(Report).where(Report.reporter_id == reporter_id).order_by(Report.created_at)))

    def erase_reporter(self, reporter_id) -> None:
        self.session.execute(
            update(Report).where(Report.reporter_id == reporter_id).values(reporter_id=None, detail=None)
        )


class SanctionRepository:
    def __init__(self, session):
        self.session = session

    def add(self, sanction: Sanction) -> None:
        self.session.add(sanction)
        self.session.flush()

    def expired(self, now, limit: int = 100) -> list[Sanction]:
        """Mutes and suspensions past their expiry and not lifted yet, claimed
        (FOR UPDATE SKIP LOCKED) so that each is lifted by one replica only."""
        return list(
            self.session.scalars(
                select(Sanction)
                .where(Sanction.type.in_(("mute", "suspend")), Sanction.lifted_at.is_(None), Sanction.expires_at <= now)
                .order_by(Sanction.expires_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    def of_user(self, user_id) -> list[Sanction]:
        return list(self.session.scalars(select(Sanction).where(Sanction.user_id == user_id).order_by(Sanction.imposed_at)))

    def delete_of_user(self, user_id) -> None:
        self.session.execute(delete(Sanction).where(Sanction.user_id == user_id))


class AppealRepository:
    def __init__(self, session):
        self.session = session

    def add(self, appeal: Appeal) -> None:
        self.session.add(appeal)
        self.session.flush()

    def for_case(self, case_id) -> Appeal | None:
        return self.session.scalar(select(Appeal).where(Appeal.case_id == case_id))

    def for_cases(self, case_ids) -> dict:
        if not case_ids:
            return {}
        return {a.case_id: a for a in self.session.scalars(select(Appeal).where(Appeal.case_id.in_(case_ids)))}

    def by_appellant(self, user_id) -> list[Appeal]:
        return list(self.session.scalars(select(Appeal).where(Appeal.appellant_id == user_id).order_by(Appeal.filed_at)))

    def erase_appellant(self, user_id, text: str) -> None:
        self.session.execute(update(Appeal).where(Appeal.appellant_id == user_id).values(appellant_id=None, text=text))


class AuditRepository:
    def __init__(self, session):
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        """Written with Core: an entry is never read back in its transaction,
        and the ORM's flush cost more CPU than the insert (issue 17)."""
        values = {column.key: getattr(entry, column.key) for column in AuditEntry.__table__.columns}
        self.session.connection().execute(INSERT_AUDIT, {k: v for k, v in values.items() if v is not None})

    def entries(self, target_id, agency_code: str | None, all_agencies: bool, limit: int, before_id=None) -> list[AuditEntry]:
        query = select(AuditEntry)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        if not all_agencies:
            query = query.where(AuditEntry.agency_code == agency_code)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        return list(self.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))

    def by_actor(self, actor_id) -> list[AuditEntry]:
        return list(self.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor_id).order_by(AuditEntry.id)))


class ActivityRepository:
    """Each author's recent writing, for the spam rules: read by screening in
    targets.screening's statement, written at the unit of work's commit."""

    def __init__(self, session):
        self.session = session
        self._recorded: list[Activity] = []
        self._locked: set = set()

    def lock_authors(self, author_ids) -> None:
        """Serialise the screening of these authors' writing until the
        transaction ends. Two workers screening one author's posts at once
        would each miss the other's writing, not committed yet: a duplicate
        or a flood published. A separate statement, before the one reading
        the writing: under READ COMMITTED, a statement sees what committed
        before it began, so a lock taken inside that statement would come
        after its snapshot (shared.db.locks: in one order, so two batches
        never deadlock). An author locked already in this unit of work is
        not asked again."""
        wanted = sorted({str(a) for a in author_ids} - self._locked)
        if not wanted:
            return
        lock_keys(self.session.connection(), wanted)
        self._locked.update(wanted)

    def record(self, writing: Activity) -> None:
        """A writing to insert at the commit, with the others of the unit of
        work (a batch of posts) in one statement."""
        self._recorded.append(writing)

    def recorded_since(self, author_id, since) -> list[Activity]:
        """The author's writing recorded in this unit of work, not yet
        inserted: what the next screening of the batch must see too."""
        return [a for a in self._recorded if a.author_id == author_id and a.at >= since]

    def write_recorded(self) -> None:
        """At the commit, which also releases the authors' locks."""
        recorded, self._recorded, self._locked = self._recorded, [], set()
        if recorded:
            self.session.connection().execute(INSERT_ACTIVITY, {
                name: [getattr(a, name) for a in recorded] for name in ACTIVITY_COLUMNS
            })

    def prune(self, before, limit: int = 1000) -> int:
        """Forget writing older than the longest spam window; replicas pruning
        at the same time take different rows (SKIP LOCKED), never wait for each other."""
        old = select(Activity.id).where(Activity.at < before).limit(limit).with_for_update(skip_locked=True)
        return self.session.execute(delete(Activity).where(Activity.id.in_(old.scalar_subquery()))).rowcount

    def delete_of_author(self, author_id) -> None:
        self.session.execute(delete(Activity).where(Activity.author_id == author_id))
