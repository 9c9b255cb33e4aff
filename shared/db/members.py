"""A service's local copy of members, kept from identity's events
(user_registered, profile_updated, user_erased) so it can show names and
check roles without asking identity on every read. Written once for every
service that keeps one (posts, moderation, notifications, events, mentoring).

Order-proof: events of one member travel on different queues and may be
handled in any order, or replayed. Each copy row carries the member's
version (identity's, in the events since their v2; a v1 event counts as 0),
and the rules are:

- what only a registration carries (role, agency, e-mail) is filled in
  whenever it comes: it never changes afterwards;
- what a member changes (name, topics) is taken from an event at least as
  new as the copy (`version` ≤ the event's): an older event never
  overwrites a newer one, and a rename handled before the registration is
  kept;
- an erasure leaves a tombstone (id, version, `erased_at`, no personal
  data), and nothing brings a tombstone back.

Each service's table keeps the columns it needs (`MemberCopy` gives id,
role, agency_code, version, erased_at; a service adds display_name, email,
topics): the copy stores what its table has and nothing more.
"""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, case, func, select
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Mapped, mapped_column

from shared.contracts.identity import ProfileUpdated, UserErased, UserRegistered

# Fields a registration carries once; fields a member may change later.
REGISTRATION_FIELDS = ("role", "agency_code", "email")
PROFILE_FIELDS = ("display_name", "topics")


class MemberCopy:
    """Columns every copy of members has (a SQLAlchemy declarative mixin)."""

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    role: Mapped[str | None] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def version_of(event) -> int:
    """The member's version an identity event carries (v1 events: 0)."""
    return getattr(event, "member_version", 0)


class MemberCopyRepository:
    """`uow.members = MemberCopyRepository(session, Member)`."""

    def __init__(self, session, model):
        self.session = session
        self.model = model
        self.columns = set(model.__table__.columns.keys())

    def get(self, user_id: uuid.UUID):
        """The member's row, a tombstone (`erased_at` set) included."""
        return self.session.get(self.model, user_id)

    def live(self, user_id: uuid.UUID):
        """The member's row, or None when unknown or erased."""
        row = self.get(user_id)
        return row if row is not None and row.erased_at is None else None

    def get_many(self, user_ids) -> dict:
        ids = [i for i in set(user_ids) if i is not None]
        if not ids:
            return {}
        return {row.id: row for row in self.session.scalars(select(self.model).where(self.model.id.in_(ids)))}

    def names(self, user_ids) -> dict[uuid.UUID, str]:
        """Display names of the live members among `user_ids`."""
        return {i: row.display_name for i, row in self.get_many(user_ids).items() if row.erased_at is None}

    # ------------------------------------------------------------ from identity's events

    def remember(self, event: UserRegistered) -> None:
        fields = {name: getattr(event, name) for name in REGISTRATION_FIELDS + PROFILE_FIELDS if hasattr(event, name)}
        self._apply(uuid.UUID(event.user_id), version_of(event), fields)

    def rename(self, event: ProfileUpdated) -> None:
        fields = {name: getattr(event, name) for name in PROFILE_FIELDS}
        self._apply(uuid.UUID(event.user_id), version_of(event), fields)

    def erase(self, event: UserErased) -> None:
        """Keep a tombstone without personal data."""
        m = self.model
        personal = {name: None for name in self.columns - {"id", "version", "erased_at"}}
        stmt = insert(m).values(id=uuid.UUID(event.user_id), version=version_of(event), erased_at=event.erased_at)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=[m.id],
            set_={**personal, "erased_at": func.coalesce(m.erased_at, stmt.excluded.erased_at),
                  "version": func.greatest(m.version, stmt.excluded.version)},
        ))

    def _apply(self, user_id: uuid.UUID, version: int, fields: dict) -> None:
        m = self.model
        values = {name: (list(value) if isinstance(value, (list, tuple)) else value)
                  for name, value in fields.items() if name in self.columns}
        stmt = insert(m).values(id=user_id, version=version, **values)
        newer = m.version <= stmt.excluded.version
        set_ = {
            name: stmt.excluded[name] if name in REGISTRATION_FIELDS
            else case((newer, stmt.excluded[name]), else_=getattr(m, name))
            for name in values
        }
        set_["version"] = func.greatest(m.version, stmt.excluded.version)
        self.session.execute(
            stmt.on_conflict_do_update(index_elements=[m.id], set_=set_, where=m.erased_at.is_(None))
        )


def upgrade_copy_table(op, table: str, personal_columns: tuple[str, ...], has_erased_at: bool) -> None:
    """Alembic step making a service's existing copy order-proof: a version
    per row, a tombstone's `erased_at`, and personal columns that a
    tombstone (or a rename handled before the registration) leaves empty."""
    import sqlalchemy as sa

    op.add_column(table, sa.Column("version", sa.BigInteger, nullable=False, server_default="0"))
    if not has_erased_at:
        op.add_column(table, sa.Column("erased_at", sa.DateTime(timezone=True)))
    for column in personal_columns:
        op.alter_column(table, column, nullable=True)


def downgrade_copy_table(op, table: str, has_erased_at: bool) -> None:
    op.execute(f"DELETE FROM {table} WHERE erased_at IS NOT NULL")  # tombstones did not exist before
    if not has_erased_at:
        op.drop_column(table, "erased_at")
    op.drop_column(table, "version")
