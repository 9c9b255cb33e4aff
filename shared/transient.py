"""Which failures are transient: they go away by themselves (the database
restarts or fails over, has too many clients, picks this transaction as a
deadlock victim, a lock wait times out; the broker drops a connection).

A transient failure is retried for as long as it lasts and is never a
reason to park an event; over RPC it is a 503 with Retry-After, never a 500.
Anything else would happen again on the same input (poison).
"""
import psycopg
import sqlalchemy.exc
from amqp.exceptions import RecoverableConnectionError
from kombu.exceptions import OperationalError as BrokerOperationalError

# psycopg's OperationalError covers the SQLSTATE classes that go away by
# themselves: 08 connection, 40 serialization/deadlock, 53 too many clients,
# 55P03 lock timeout, 57 shutdown/cancelled (statement timeout), and a
# failed connect (no SQLSTATE); InterfaceError is a closed connection.
_DRIVER = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.errors.IdleInTransactionSessionTimeout,
)
# What a lost broker connection raises in a publish or an ack.
BROKER_CONNECTION_ERRORS = (ConnectionError, TimeoutError, RecoverableConnectionError, BrokerOperationalError)

_OTHER = (
    sqlalchemy.exc.TimeoutError,  # no connection free in the pool
    ConnectionError,  # sockets: refused, reset, broken pipe
    TimeoutError,  # a socket or a publisher confirm that timed out
    RecoverableConnectionError,
    BrokerOperationalError,
)


def is_transient(error: BaseException | None) -> bool:
    """True when `error` (or what it wraps) is a failure that goes away by itself."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _DRIVER + _OTHER):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError):
            if error.connection_invalidated or isinstance(
                error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
            ):
                return True
            error = error.orig
            continue
        if isinstance(error, sqlalchemy.exc.StatementError) and error.orig is not None:
            error = error.orig
            continue
        error = error.__cause__
    return False
