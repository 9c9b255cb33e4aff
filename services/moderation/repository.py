"""moderation's unit of work and data access."""
from sqlalchemy import func, select

from services.moderation.models import Case
from shared.db.unit_of_work import SqlUnitOfWork


class ModerationUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.cases = CaseRepository(self.session)


class CaseRepository:
    def __init__(self, session):
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)
        self.session.flush()

    def open_for(self, target_type: str, target_id) -> Case | None:
        return self.session.scalar(
            select(Case).where(Case.target_type == target_type, Case.target_id == target_id, Case.status == "open")
        )

    def count_open(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Case).where(Case.status == "open"))
