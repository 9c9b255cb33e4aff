"""Transaction-scoped advisory locks on keys that have no row to lock yet
(a login-failure counter before its first failure, an author's recent
writing): held until the transaction ends.

The keys are hashed to PostgreSQL's 64-bit lock space and taken in one
statement, in one order, so two transactions locking overlapping sets never
deadlock. A hash collision only makes two keys wait for each other.
"""
from sqlalchemy import text

LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(h) FROM "
    "(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS s"
)


def lock_keys(connection, keys) -> None:
    """Wait for, then hold until the transaction ends, one lock per key."""
    connection.execute(LOCK_KEYS, {"keys": [str(key) for key in keys]})
