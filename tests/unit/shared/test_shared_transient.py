"""Transient failures (retried as long as they last, a 503 over RPC) versus
failures that would happen again (poison)."""
import psycopg
import pydantic
import pytest
import sqlalchemy.exc
from amqp.exceptions import RecoverableConnectionError
from psycopg import errors as pg

from shared.errors import NotFound
from shared.transient import is_transient


def wrapped(orig: Exception, cls=sqlalchemy.exc.DBAPIError, **kwargs) -> Exception:
    """As SQLAlchemy raises a driver error."""
    return cls.instance("SELECT 1", {}, orig, psycopg.Error, **kwargs)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: connection refused"),
        pg.TooManyConnections("sorry, too many clients already"),
        pg.DeadlockDetected("deadlock detected"),
        pg.SerializationFailure("could not serialize access"),
        pg.LockNotAvailable("canceling statement due to lock timeout"),
        pg.QueryCanceled("canceling statement due to statement timeout"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        pg.IdleInTransactionSessionTimeout("idle-in-transaction timeout"),
        psycopg.InterfaceError("the connection is closed"),
        wrapped(psycopg.OperationalError("server closed the connection unexpectedly")),
        wrapped(pg.DeadlockDetected("deadlock detected")),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        ConnectionRefusedError(111, "Connection refused"),
        RecoverableConnectionError("broker connection lost"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_failures_that_go_away_by_themselves_are_transient(error):
    assert is_transient(error)


def test_a_transient_failure_raised_from_another_is_transient():
    try:
        try:
            raise pg.DeadlockDetected("deadlock detected")
        except Exception as cause:
            raise RuntimeError("while saving") from cause
    except RuntimeError as error:
        assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        pg.UniqueViolation("duplicate key"),
        pg.UndefinedColumn("column does not exist"),
        wrapped(pg.UniqueViolation("duplicate key"), sqlalchemy.exc.IntegrityError),
        KeyError("title"),
        ValueError("bad payload"),
        NotFound("Publication introuvable."),
        None,
    ],
    ids=lambda e: type(e).__name__,
)
def test_failures_that_would_happen_again_are_not(error):
    assert not is_transient(error)


def test_a_contract_violation_is_poison():
    class Payload(pydantic.BaseModel):
        title: str

    with pytest.raises(pydantic.ValidationError) as caught:
        Payload.model_validate({})
    assert not is_transient(caught.value)
