"""The gateway's JSON responses, encoded with orjson.

The standard json module was a visible part of the gateway's time per request
(issue 17); orjson gives the same JSON (UTF-8, no ASCII escaping, like
Starlette's JSONResponse) several times faster. FastAPI's ORJSONResponse is
deprecated in favour of response models, which these routes do not declare
(they pass the services' answers on), hence this class.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import orjson
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_signature
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, Response


def dumps(content: Any) -> bytes:
    # `default`: what orjson does not know (a pydantic model, a set) goes
    # through FastAPI's encoder, as it did before.
    return orjson.dumps(content, default=jsonable_encoder, option=orjson.OPT_NON_STR_KEYS)


class FastJSONResponse(JSONResponse):
    """``application/json`` rendered by orjson: the app's default response class."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


class AnswerRoute(APIRoute):
    """A route declared with `response_model=None` that returns what a
    service answered (a JSON value, decoded from its reply) is answered with
    FastJSONResponse directly. FastAPI would first walk the whole value with
    `jsonable_encoder`, in Python: 640 µs for a page of 20 posts, a third of
    the gateway's CPU per search (issue 17); orjson writes it in 5.

    Routes that keep FastAPI's own path: those with a response model (it
    validates the answer), with a response class of their own, or with a
    `Response` parameter (FastAPI merges the headers and status set on it)."""

    def __init__(self, path: str, endpoint, **kwargs) -> None:
        answered_directly = (
            kwargs.get("response_model", ...) is None
            and isinstance(kwargs.get("response_class"), DefaultPlaceholder)
            and not getattr(endpoint, "answers_directly", False)
            and not any(param.annotation is Response for param in get_typed_signature(endpoint).parameters.values())
        )
        if answered_directly:
            endpoint = _answered(endpoint, kwargs.get("status_code") or 200)
        super().__init__(path, endpoint, **kwargs)


def _answered(endpoint, status_code: int):
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    async def answered(*args, **kwargs):
        content = await endpoint(*args, **kwargs)
        return content if isinstance(content, Response) else FastJSONResponse(content, status_code=status_code)

    answered.answers_directly = True
    return answered


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
