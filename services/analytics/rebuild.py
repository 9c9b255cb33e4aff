"""Re-derive analytics' tables from its stored facts, without blocking.

    python -m services.analytics.rebuild

The derived tables are built again beside the live ones, in a schema of
their own (`analytics_rebuild`), from a snapshot of the facts; the service
keeps running meanwhile: KPIs read the live tables, events keep being
handled. Then one short transaction holds back new facts, applies those
that arrived during the build, and swaps the new tables in (readers see the
old tables or the new ones). Issue 15: the former rebuild truncated the live
tables in one long transaction, and KPIs and event handling waited for all
of it.

An erasure during the build would not reach the new tables (it rewrites
facts the build already read): the swap is then refused, and the command
says to run it again. Use it after a change of the projections or KPI tables.
"""
import logging

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.analytics import handlers, models
from services.analytics.repository import DerivedRepository, FactRepository
from shared.db.engine import make_engine
from shared.observability.logging import configure as configure_logging
from shared.settings import Settings, get_settings

log = logging.getLogger("analytics.rebuild")

SCHEMA = "analytics_rebuild"
# Agencies are seeded as well as derived: copied first, then the facts replayed over them.
REBUILT = (*models.DERIVED, "agencies")
IN_SHADOW = {"schema_translate_map": {None: SCHEMA}}


class ErasedDuringRebuild(RuntimeError):
    pass


def run(settings: Settings) -> int:
    """Rebuild; the number of facts replayed."""
    engine = make_engine(settings.database_url("analytics"), pool_size=2, settings=settings)
    try:
        prepare(engine)
        replayed = build(engine)
        return replayed + swap(engine)
    finally:
        engine.dispose()


def prepare(engine) -> None:
    """Empty copies of the rebuilt tables (same names, indexes and keys, from
    the models) in their own schema; `facts` there is a view of the live one."""
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))  # a run that died half-way
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        models.metadata.create_all(
            conn.execution_options(**IN_SHADOW), tables=[models.TABLES[name] for name in REBUILT]
        )
        conn.execute(text(f"INSERT INTO {SCHEMA}.agencies SELECT * FROM public.agencies"))
        conn.execute(text(f"CREATE VIEW {SCHEMA}.facts AS SELECT * FROM public.facts"))
        conn.execute(text(f"CREATE TABLE {SCHEMA}.replayed (id bigint PRIMARY KEY)"))
        conn.execute(text(f"CREATE TABLE {SCHEMA}.started (erasures bigint NOT NULL)"))


def build(engine) -> int:
    """Replay every fact of one snapshot into the new tables. Live tables
    are not touched; reading `facts` blocks no writer."""
    with Session(engine) as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ", **IN_SHADOW})
        # Same snapshot for the three: what was replayed, and the erasures it knew.
        session.execute(text(f"INSERT INTO {SCHEMA}.replayed SELECT id FROM public.facts"))
        session.execute(text(f"INSERT INTO {SCHEMA}.started SELECT count(*) FROM public.erased_persons"))
        count = handlers.replay(DerivedRepository(session), FactRepository(session).in_order())
        session.commit()
    return count


def swap(engine) -> int:
    """One short transaction: new facts wait; those that came during the
    build are replayed; the new tables replace the live ones."""
    with Session(engine) as session:
        session.connection(execution_options=IN_SHADOW)
        session.execute(text("LOCK TABLE public.facts IN EXCLUSIVE MODE"))
        erasures_then = session.execute(text(f"SELECT erasures FROM {SCHEMA}.started")).scalar_one()
        erasures_now = session.execute(text("SELECT count(*) FROM public.erased_persons")).scalar_one()
        if erasures_now != erasures_then:
            session.rollback()
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            raise ErasedDuringRebuild("a member was erased during the rebuild: run it again")
        columns = [c for c in models.facts.c if c.name != "recorded_at"]
        late = session.execute(
            select(*columns)
            .where(text(f"NOT EXISTS (SELECT 1 FROM {SCHEMA}.replayed r WHERE r.id = facts.id)"))
            .order_by(models.facts.c.id)
        ).mappings().all()
        count = handlers.replay(DerivedRepository(session), (dict(row) for row in late))
        for name in REBUILT:
            session.execute(text(f"DROP TABLE public.{name}"))
            session.execute(text(f"ALTER TABLE {SCHEMA}.{name} SET SCHEMA public"))
        session.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        session.commit()
    return count


if __name__ == "__main__":
    configure_logging(get_settings().log_level)
    log.info("rebuilt the derived tables", extra={"facts": run(get_settings())})
