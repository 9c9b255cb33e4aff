"""Notifications: the list, opening one, preferences and digest, and the live
badge (the gateway's stream, relayed as ready-to-swap HTML for htmx)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from web import labels
from web.context import Ctx, member
from web.gateway import GatewayProblem, headers_for
from web.pages.common import seg, text
from web.problems import FormErrors, form_errors
from web.templating import safe_local_link

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/notifications")
async def inbox(ctx: Ctx = Depends(member), apres: str | None = None) -> Response:
    page = await ctx.get("/v1/notifications", limit=30, cursor=apres)
    unread = int(page.get("unread_count", 0))
    ctx.unread_count_is(unread)
    return await ctx.render("notifications/list.html", items=page["items"], next_cursor=page.get("next_cursor"),
                            unread_total=unread)


@router.post("/notifications/{notification_id}/ouvrir")
async def open_notification(notification_id: str, ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    await ctx.post(f"/v1/notifications/{seg(notification_id)}/read")
    return ctx.redirect(safe_local_link(text(form, "link")) or "/notifications")


@router.post("/notifications/tout-lu")
async def read_all(ctx: Ctx = Depends(member)) -> Response:
    await ctx.form()
    await ctx.post("/v1/notifications/read-all")
    return ctx.redirect("/notifications", "Toutes vos notifications sont marquées comme lues.")


@router.get("/notifications/preferences")
async def preferences_form(ctx: Ctx = Depends(member)) -> Response:
    prefs = await ctx.get("/v1/notifications/preferences")
    return await ctx.render("notifications/preferences.html", prefs=prefs)


@router.post("/notifications/preferences")
async def save_preferences(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    current = await ctx.get("/v1/notifications/preferences")
    channels = {
        kind: {"in_app": form.get(f"{kind}.in_app") == "on",
               "email": form.get(f"{kind}.email") == "on" and kind != "reaction"}
        for kind in current["channels"]
    }
    digest = text(form, "digest")
    body = {"channels": channels, "digest": digest if digest in labels.DIGESTS else current["digest"]}
    try:
        await ctx.put("/v1/notifications/preferences", body)
    except GatewayProblem as problem:
        errors = form_errors(problem.status, problem.problem, {"digest", "channels"})
        return await ctx.render("notifications/preferences.html", status_code=400, prefs=body, errors=errors)
    return ctx.redirect("/notifications/preferences", "Vos préférences sont enregistrées.")


# ---------------------------------------------------------------- the live badge

def parse_sse(lines: list[str]) -> dict[str, str]:
    """One SSE event's fields (`event`, `data`, `id`, `retry`)."""
    event: dict[str, str] = {}
    for line in lines:
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    return event


def sse(event: str, html: str, event_id: str | None = None) -> str:
    frame = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return (f"id: {event_id}\n" if event_id else "") + f"event: {event}\n" + frame + "\n"


async def unread_now(ctx: Ctx) -> int | None:
    """The unread count with the token the stream opened with: never a refresh
    here, the cookie holding a new refresh token could not reach the browser
    any more (headers are sent), and the old one would then be replayed."""
    try:
        answer = await ctx.gateway.request("GET", "/v1/notifications", token=ctx.session.access_token,
                                           client_ip=ctx.client_ip, params={"unread": "true", "limit": 1})
    except Exception:
        return None
    return int((answer.data or {}).get("unread_count") or 0)


@router.get("/notifications/flux")
async def stream(request: Request, ctx: Ctx = Depends(member)) -> Response:
    await ctx._fresh_token()
    headers = headers_for(ctx.session.access_token, ctx.client_ip, ctx.request_id, None)
    headers["Accept"] = "text/event-stream"
    last_id = request.headers.get("Last-Event-ID")
    if last_id and len(last_id) <= 64:
        headers["Last-Event-ID"] = last_id
    client: httpx.AsyncClient = ctx.gateway.client
    upstream_request = client.build_request("GET", "/v1/notifications/stream", headers=headers,
                                            timeout=httpx.Timeout(10.0, read=None))
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError:
        return Response(status_code=503, headers={"Retry-After": "10"})
    if upstream.status_code != 200:
        await upstream.aclose()
        # 204 tells EventSource to stop: the login is over (the next page asks to sign in again).
        return Response(status_code=204 if upstream.status_code == 401 else 503)
    templates = ctx.app_state.templates

    async def frames() -> AsyncIterator[str]:
        pending: list[str] = []
        try:
            async for line in upstream.aiter_lines():
                if line:
                    if line.startswith(":"):
                        yield ":\n\n"  # keep-alive
                    else:
                        pending.append(line)
                    continue
                event, pending = parse_sse(pending), []
                if "retry" in event:
                    yield f"retry: {event['retry']}\n\n"
                if event.get("event") != "notification" or "data" not in event:
                    continue
                item: dict[str, Any] = json.loads(event["data"])
                count = await unread_now(ctx)
                yield sse("badge", templates.get_template("partials/badge.html").render(unread=count), event.get("id"))
                yield sse("notice", templates.get_template("partials/notice.html").render(item=item))
        except httpx.HTTPError:
            return
        finally:
            await upstream.aclose()

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
