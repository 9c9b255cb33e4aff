"""Idempotency-Key for creating requests (API.md, Conventions; decision 14).

The gateway forwards the client's `Idempotency-Key` in the RPC context; a
creating entrypoint (`shared.chassis.creates`) records the key, a hash of
its request and its answer in the service's own `idempotency_keys` table,
in the SAME transaction as the write. So a retry after the gateway gave up
(503 past RPC_TIMEOUT_SECONDS), a double click, or a redelivery after a
crash between commit and ack finds the key and gets the first answer back
instead of creating a second time.

While the first request runs, it holds a transaction-level advisory lock
on (caller, key): a second one with the same key does not wait for it
(NOWAIT semantics) and is answered 409. The row itself is only ever seen
committed, together with the write it stands for.

Keys live 24 hours (the contract); `purge_expired` runs on a timer.
"""
import hashlib
import hmac
import json
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from shared.api.idempotency import HEADER, MAX_KEY_LENGTH
from shared.errors import Conflict, ValidationFailed
from shared.keys import secret_key
from shared.settings import get_settings

KEY_TTL = timedelta(hours=24)  # fixed by API.md
# Who sent the key: a member's id, or nobody (registration); anonymous keys
# share one scope, which only lets a same-body retry see its own answer.
ANONYMOUS = ""

RUNNING_DETAIL = (
    "Une requête avec la même clé d'idempotence est encore en cours de traitement. Réessayez dans un instant."
)
REUSED_MESSAGE = "Cette clé d'idempotence a déjà servi pour une requête différente."

idempotency_metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("caller_id", String(64), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now(), index=True),
)


def create_idempotency_table(op) -> None:
    """From a service's Alembic migration (`op`)."""
    idempotency_metadata.create_all(op.get_bind())


def drop_idempotency_table(op) -> None:
    idempotency_metadata.drop_all(op.get_bind())


@lru_cache
def _hash_key() -> bytes:
    # The platform's HMAC key (the one signing list cursors, shared/paging.py);
    # the "idempotency" prefix below keeps the two uses apart.
    settings = get_settings()
    return secret_key(settings.cursor_key, settings.cursor_key_path, "CURSOR_KEY")


def request_hash(operation: str, args, key: bytes | None = None) -> str:
    """What identifies "the same request": the entrypoint and its arguments
    (the validated body and path values the gateway sent), canonical JSON.
    Keyed (HMAC), not a bare digest: a registration's arguments hold a
    password, and a plain hash of a guessable body could be tested offline."""
    canonical = json.dumps([operation, args], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key or _hash_key(), f"idempotency\n{canonical}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Replay:
    response: object


@dataclass(frozen=True)
class IdempotentRequest:
    caller_id: str
    key: str
    request_hash: str


def claim(session: Session, request: IdempotentRequest, now: datetime) -> Replay | None:
    """Start an idempotent request in the session's transaction.

    Returns the stored answer when this request was done before; None when
    it is to be done now (then `remember` its answer before committing).
    Raises Conflict (409) while another transaction works on the same key,
    ValidationFailed (422, on the header) when the key came with another body.
    """
    locked = session.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:scope, 0))"),
        {"scope": f"idempotency:{request.caller_id}:{request.key}"},
    ).scalar_one()
    if not locked:
        raise Conflict(RUNNING_DETAIL)
    row = session.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.response, idempotency_keys.c.created_at).where(
            idempotency_keys.c.caller_id == request.caller_id, idempotency_keys.c.key == request.key
        )
    ).first()
    if row is None:
        return None
    if row.created_at <= now - KEY_TTL:
        # Expired but not purged yet: the key is free again.
        _delete(session, request)
        return None
    if row.request_hash != request.request_hash:
        raise ValidationFailed.single(["header", HEADER], REUSED_MESSAGE)
    return Replay(row.response)


def remember(session: Session, request: IdempotentRequest, response, now: datetime) -> None:
    """Record the answer, in the transaction of the write it answers."""
    session.execute(
        idempotency_keys.insert().values(
            caller_id=request.caller_id, key=request.key, request_hash=request.request_hash,
            # As JSON, the way the reply carries it (a stray UUID or date as text).
            response=json.loads(json.dumps(response, default=str)), created_at=now,
        )
    )


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at <= now - KEY_TTL))
    return result.rowcount


def forget_caller(session: Session, caller_id: str) -> None:
    """An erased member's stored answers go with them (they may hold their data)."""
    session.execute(idempotency_keys.delete().where(idempotency_keys.c.caller_id == caller_id))


def _delete(session: Session, request: IdempotentRequest) -> None:
    session.execute(
        idempotency_keys.delete().where(
            idempotency_keys.c.caller_id == request.caller_id, idempotency_keys.c.key == request.key
        )
    )
