"""The Idempotency-Key of creating requests (API.md, Conventions).

Every POST that creates something declares `dependencies=[idempotent]`: the
header is checked here (at most 255 printable characters, else 422 naming
it) and documented in the OpenAPI; the route makes its creating call with
`services.create(...)`, which forwards the key to the service in the RPC
context. The service does the work once per key and caller, recording the
key with its write in one transaction (shared/db/idempotency.py): a retry
gets the first answer, marked `Idempotent-Replayed: true` by
RequestContextMiddleware.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from shared.api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER

# The request state entry RequestContextMiddleware reads (scope["state"]).
REPLAYED_STATE = "idempotent_replayed"

KEY_DESCRIPTION = (
    "Clé choisie par le client (1 à 255 caractères ASCII imprimables) pour rejouer la requête sans effet double : "
    "pendant 24 heures, la même clé du même appelant avec le même corps renvoie la première réponse (même statut, "
    "même corps, en-tête `Idempotent-Replayed: true`) sans rien refaire ; avec un autre corps, 422 ; tant que la "
    "première requête est en cours, 409."
)
REPLAYED_DESCRIPTION = {
    "description": "`true` quand la réponse est celle, enregistrée, d'une requête antérieure portant la même "
    "`Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER, min_length=1, max_length=MAX_KEY_LENGTH, pattern=r"^[\x20-\x7e]+$",
        description=KEY_DESCRIPTION,
    ),
]


async def _idempotency_key(request: Request, key: IdempotencyKeyHeader = None) -> None:
    request.state.idempotency_key = key


idempotent = Depends(_idempotency_key)
