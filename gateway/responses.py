"""The gateway's JSON responses, encoded with orjson.

The standard json module was a visible part of the gateway's time per request
(issue 17); orjson gives the same JSON (UTF-8, no ASCII escaping, like
Starlette's JSONResponse) several times faster. FastAPI's ORJSONResponse is
deprecated in favour of response models, which these routes do not declare
(they pass the services' answers on), hence this class.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class FastJSONResponse(JSONResponse):
    """``application/json`` rendered by orjson: the app's default response class."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


# ---------------------------------------------------------------- conditional reads

NOT_MODIFIED_DESCRIPTION = (
    "Inchangé depuis la version que le client a déjà : `If-None-Match` contenait l'`ETag` de la réponse, "
    "aucun corps n'est renvoyé."
)
ETAG_HEADER = {
    "ETag": {
        "description": "Version de la réponse (pour cet appelant) ; à renvoyer dans `If-None-Match`.",
        "schema": {"type": "string"},
    }
}


def etag_of(body: bytes) -> str:
    """A strong validator: the hash of the exact bytes this caller gets."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def none_match(header: str | None, etag: str) -> bool:
    """False when `If-None-Match` names `etag` or is `*` (RFC 9110 13.1.2:
    weak comparison, so `W/"x"` matches `"x"`)."""
    if not header:
        return True
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return False
    return True


def conditional_json(content: Any, if_none_match: str | None) -> Response:
    """200 with the JSON and its ETag, or 304 with the ETag alone when the
    client already has this version. The body is per caller (their own
    reactions). `no-store`, as on every authenticated answer (issue 12):
    shared caches and the browser's disk keep nothing; a client app that
    keeps the body itself sends the ETag back and gets its 304."""
    body = dumps(content)
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "no-store", "Vary": "Authorization"}
    if not none_match(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
