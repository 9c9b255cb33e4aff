"""Notifications: the in-app inbox, preferences and the live stream (SSE)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from gateway.auth import Caller, current_user
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.notification_stream import NotificationStream, RecentIds, Subscription
from gateway.openapi import answers
from gateway.responses import AnswerRoute
from shared.api.notifications import NEVER_EMAILED, NotificationPage, NotificationQuery, Preferences, PreferencesIn
from shared.api.text import Id, Raw

router = APIRouter(prefix="/v1", tags=["notifications"], responses=problem_responses(503), route_class=AnswerRoute)

def check_preferences(body: PreferencesIn) -> None:
    """Reactions are never e-mailed (the service checks again)."""
    errors = [
        {"loc": ["body", "channels", t, "email"], "msg": "Les réactions ne sont jamais envoyées par e-mail."}
        for t, choice in body.channels.items()
        if t in NEVER_EMAILED and choice.email
    ]
    if errors:
        raise ProblemError(422, errors=errors)


@router.get(
    "/notifications",
    summary="Mes notifications, les plus récentes d'abord",
    response_model=None,
    responses=answers(200, NotificationPage, "Une page de notifications", 401, 422),
)
async def list_notifications(
    query: Annotated[NotificationQuery, Query()], caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("notifications", "list_notifications", query.model_dump(exclude_none=True))


@router.post(
    "/notifications/read-all",
    summary="Marquer toutes mes notifications comme lues",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401),
)
async def mark_all_read(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("notifications", "mark_all_read")
    return Response(status_code=204)


@router.post(
    "/notifications/{id}/read",
    summary="Marquer une notification comme lue (la sienne seulement)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
async def mark_read(id: Id, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("notifications", "mark_read", id)
    return Response(status_code=204)


@router.get(
    "/notifications/preferences",
    summary="Mes préférences de notification",
    response_model=None,
    responses=answers(200, Preferences, "Canaux par type, et résumé par e-mail", 401),
)
async def get_preferences(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("notifications", "get_preferences")


@router.put(
    "/notifications/preferences",
    summary="Remplacer mes préférences de notification",
    description="Les réactions ne sont jamais envoyées par e-mail (422 si `email` vaut `true` pour `reaction`).",
    response_model=None,
    responses=answers(200, Preferences, "Les préférences enregistrées", 400, 401, 422),
)
async def put_preferences(
    body: PreferencesIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    check_preferences(body)
    return await services.call("notifications", "update_preferences", body.model_dump(mode="json"))


# ---------------------------------------------------------------- the live stream


def sse_frame(item: dict[str, Any]) -> str:
    """One notification as a Server-Sent Event; its id resumes the stream."""
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return f"id: {item['id']}\nevent: notification\ndata: {data}\n\n"


KEEP_ALIVE = ": keep-alive\n\n"


async def sse_frames(
    subscription: Subscription,
    missed: list[dict[str, Any]],
    *,
    keepalive_seconds: float,
    retry_milliseconds: int,
    disconnected: Awaitable[Any],
    still_allowed: Callable[[], bool] = lambda: True,
    ends_at: float | None = None,
) -> AsyncIterator[str]:
    """What the stream sends: the retry delay, what was missed since
    Last-Event-ID, then each new notification as it comes, with a comment
    line when nothing happened for `keepalive_seconds`. Ends when the client
    leaves, falls too far behind, or its login ends: at `ends_at` (the access
    token's expiry, epoch seconds) or when the subscription is ended
    (logout, suspension, erasure). The client resumes with a fresh token and
    Last-Event-ID."""
    yield f"retry: {retry_milliseconds}\n\n"
    sent = RecentIds(max(1000, len(missed)))
    for item in missed:
        sent.add(item["id"])
        yield sse_frame(item)
    gone = asyncio.ensure_future(disconnected)
    revoked = asyncio.ensure_future(subscription.ended.wait())
    next_item: asyncio.Future[dict[str, Any]] | None = None
    try:
        while not subscription.overflowed and still_allowed():
            timeout = keepalive_seconds
            if ends_at is not None:
                left = ends_at - time.time()
                if left <= 0:
                    return
                timeout = min(timeout, left)
            if next_item is None:
                next_item = asyncio.ensure_future(subscription.queue.get())
            done, _ = await asyncio.wait({next_item, gone, revoked}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if gone in done or revoked in done:
                return
            if next_item not in done:
                if ends_at is not None and time.time() >= ends_at:
                    return
                yield KEEP_ALIVE
                continue
            item, next_item = next_item.result(), None
            if sent.add(item["id"]):  # not already sent (as missed, or delivered twice)
                yield sse_frame(item)
    finally:
        for task in (next_item, gone, revoked):
            if task is not None and not task.done():
                task.cancel()


async def wait_for_disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


@router.get(
    "/notifications/stream",
    summary="Mes nouvelles notifications en direct (Server-Sent Events)",
    description=(
        "Flux `text/event-stream` : chaque notification est un événement `notification` dont `id` est "
        "l'identifiant de la notification et `data` l'objet JSON de la liste. Une ligne de commentaire est "
        "envoyée régulièrement pour garder la connexion ouverte. Le flux se termine avec la connexion : "
        "à l'expiration du jeton d'accès, à la déconnexion, à la suspension ou à l'effacement du compte ; "
        "le client se reconnecte avec un jeton neuf et l'en-tête `Last-Event-ID`, qui fait d'abord envoyer "
        "les notifications manquées."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Le flux"},
               **problem_responses(401, 429)},
)
async def stream(
    request: Request,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
    last_event_id: Annotated[Raw(max_length=64) | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    settings = request.app.state.settings
    notifications: NotificationStream = request.app.state.notification_stream
    if notifications.streams_of(caller.id) >= settings.sse_max_streams_per_user:
        raise ProblemError(429, "Trop de flux de notifications ouverts pour ce compte.",
                           headers={"Retry-After": "30"})
    # Subscribe before fetching what was missed: nothing falls in between
    # (a notification in both is sent once).
    verified = request.state.verified_token
    subscription = notifications.subscribe(caller.id, verified.session_id)
    try:
        missed = await services.call("notifications", "list_since", last_event_id) if last_event_id else []
    except BaseException:
        notifications.unsubscribe(subscription)
        raise
    blocklist = getattr(request.app.state, "access_blocklist", None)

    def still_allowed() -> bool:
        return blocklist is None or not blocklist.is_blocked(caller.id, verified.session_id)

    async def body() -> AsyncIterator[str]:
        try:
            async for frame in sse_frames(
                subscription, missed,
                keepalive_seconds=settings.sse_keepalive_seconds,
                retry_milliseconds=settings.sse_retry_milliseconds,
                disconnected=wait_for_disconnect(request),
                still_allowed=still_allowed,
                ends_at=verified.expires_at,
            ):
                yield frame
        finally:
            notifications.unsubscribe(subscription)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
