"""A nameko service whose only job is to sleep inside PostgreSQL, to prove
that a nameko process runs queries side by side (DESIGN.md, decision 9)."""
import os

from nameko.rpc import rpc
from sqlalchemy import text

from shared.db.nameko import UnitOfWorkProvider
from shared.db.unit_of_work import SqlUnitOfWork


class PgProbe:
    name = os.environ.get("PROBE_NAME", "pgprobe")

    uow = UnitOfWorkProvider("analytics", SqlUnitOfWork)

    @rpc
    def sleep_in_database(self, seconds):
        self.uow.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return os.environ.get("PSYCOPG_WAIT_FUNC")
