"""A service's local copy of members (name, role, agency), kept from
identity's events (user_registered, profile_updated, user_erased), so it can
show names without asking identity on every read."""
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert


class MemberCopyRepository:
    """Subclass with `model` = the service's table of members
    (columns id, display_name, role, agency_code)."""

    model = None

    def __init__(self, session):
        self.session = session

    def get(self, user_id: uuid.UUID):
        return self.session.get(self.model, user_id)

    def names(self, user_ids) -> dict[uuid.UUID, str]:
        ids = [i for i in set(user_ids) if i is not None]
        if not ids:
            return {}
        m = self.model
        return dict(self.session.execute(select(m.id, m.display_name).where(m.id.in_(ids))).all())

    def upsert(self, user_id: uuid.UUID, display_name: str, role: str, agency_code: str | None) -> None:
        stmt = insert(self.model).values(id=user_id, display_name=display_name, role=role, agency_code=agency_code)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[self.model.id],
                set_={"display_name": stmt.excluded.display_name, "role": stmt.excluded.role,
                      "agency_code": stmt.excluded.agency_code},
            )
        )

    def rename(self, user_id: uuid.UUID, display_name: str) -> None:
        self.session.execute(update(self.model).where(self.model.id == user_id).values(display_name=display_name))

    def delete(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(self.model).where(self.model.id == user_id))
