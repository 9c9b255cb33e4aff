"""Small helpers shared by the pages."""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import FormData

from web.context import Ctx

CACHE_SECONDS = 300.0


async def cached(ctx: Ctx, path: str) -> Any:
    """Public reference lists (topics, agencies) change rarely: kept five minutes."""
    cache: dict[str, tuple[float, Any]] = ctx.app_state.topics_cache
    hit = cache.get(path)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    data = (await ctx.call("GET", path, anonymous=True)).data
    cache[path] = (time.monotonic(), data)
    return data


async def topics(ctx: Ctx) -> list[dict[str, Any]]:
    return list(await cached(ctx, "/v1/topics") or [])


async def topic_labels(ctx: Ctx) -> dict[str, str]:
    return {t["slug"]: t["label"] for t in await topics(ctx)}


async def agencies(ctx: Ctx) -> list[dict[str, Any]]:
    return list(await cached(ctx, "/v1/agencies") or [])


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values(form: FormData) -> dict[str, Any]:
    """The form as typed, to show it again (lists for repeated fields)."""
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str) or key in ("csrf_token", "password", "current_password", "new_password"):
            continue
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def lines(value: str) -> list[str]:
    """A textarea with one item a line."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def seg(value: str) -> str:
    """An id taken from our URL, safe to put in a gateway path (no `/`, no `..`)."""
    import re

    from fastapi import HTTPException

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", value or ""):
        raise HTTPException(status_code=404)
    return value
