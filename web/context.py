"""What every page handler works with: the person's session, the gateway
called on their behalf, forms checked against CSRF, and rendering.

Handlers stay short: `ctx = Depends(member)`, `await ctx.get("/v1/feed")`,
`return ctx.render("feed.html", posts=...)`. Expected failures become
exceptions that `web.app` turns into friendly pages (sign in again, not
allowed, service down keeping what was typed).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web import csrf
from web.gateway import Gateway, GatewayDown, GatewayProblem
from web.session import RefreshFailed, Session

IDEMPOTENCY_FIELD = "idempotency_key"


class SignInRequired(Exception):
    """No session, or the login ended: go to the sign-in page and come back."""


class NotAllowed(Exception):
    """Signed in, but this page is for another role."""


class BadCsrf(Exception):
    """A form without the session's CSRF token (forged, or from an old tab)."""


class Ctx:
    def __init__(self, request: Request):
        self.request = request
        self.app_state = request.app.state
        self.settings = request.app.state.settings
        self.gateway: Gateway = request.app.state.gateway
        self.session: Session = request.state.session
        self.request_id: str = request.state.request_id
        self.form_data: FormData | None = None
        # The badge's count: a task started with the page, or a figure the page read itself.
        self._unread: asyncio.Future[int | None] | None = None

    # ------------------------------------------------------------ who
    @property
    def user(self) -> dict[str, Any] | None:
        return self.session.user if self.session.signed_in else None

    @property
    def role(self) -> str | None:
        return self.user["role"] if self.user else None

    @property
    def is_staff(self) -> bool:
        return self.role in ("advisor", "admin")

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    # ------------------------------------------------------------ gateway
    async def call(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                   idempotency_key: str | None = None, raw: bool = False, anonymous: bool = False):
        token = None
        if not anonymous and self.session.signed_in:
            await self._fresh_token()
            token = self.session.access_token
        metrics = self.app_state.metrics
        try:
            answer = await self.gateway.request(
                method, path, token=token, client_ip=self.client_ip, request_id=self.request_id,
                params=params, json=json, idempotency_key=idempotency_key, raw=raw,
                user_agent=self.request.headers.get("user-agent"),
            )
        except GatewayDown:
            metrics.gateway_calls.labels(method, "down").inc()
            raise
        except GatewayProblem as problem:
            metrics.gateway_calls.labels(method, "problem").inc()
            if problem.status == 401 and token is not None:
                self.session.sign_out()
                self.session.say("Votre session a pris fin. Reconnectez-vous pour continuer.")
                raise SignInRequired() from problem
            raise
        metrics.gateway_calls.labels(method, "ok").inc()
        return answer

    async def get(self, path: str, **params: Any) -> Any:
        return (await self.call("GET", path, params=params)).data

    async def post(self, path: str, json: Any = None, *, creates: bool = False) -> Any:
        key = self.idempotency_key() if creates else None
        return (await self.call("POST", path, json=json if json is not None else {}, idempotency_key=key)).data

    async def patch(self, path: str, json: Any) -> Any:
        return (await self.call("PATCH", path, json=json)).data

    async def put(self, path: str, json: Any) -> Any:
        return (await self.call("PUT", path, json=json)).data

    async def delete(self, path: str) -> Any:
        return (await self.call("DELETE", path)).data

    async def _fresh_token(self) -> None:
        """Refresh the access token shortly before it expires, once for concurrent requests."""
        session = self.session
        if not session.needs_refresh(time.time(), self.settings.web_refresh_margin_seconds):
            return
        refresh_token = session.refresh_token or ""

        async def exchange(token: str) -> dict[str, Any]:
            try:
                answer = await self.gateway.request(
                    "POST", "/v1/auth/refresh", json={"refresh_token": token},
                    client_ip=self.client_ip, request_id=self.request_id,
                )
            except GatewayProblem as problem:
                raise RefreshFailed() from problem
            return answer.data

        try:
            tokens = await self.app_state.refresher.refresh(refresh_token, exchange)
        except RefreshFailed:
            self.app_state.metrics.token_refreshes.labels("ended").inc()
            session.sign_out()
            session.say("Votre session a pris fin. Reconnectez-vous pour continuer.")
            raise SignInRequired() from None
        self.app_state.metrics.token_refreshes.labels("ok").inc()
        session.set_tokens(tokens, time.time())

    # ------------------------------------------------------------ the badge
    def start_unread_count(self) -> None:
        """Ask for the unread count now, in parallel with the page's own calls."""
        if self.user and self._unread is None:
            self._unread = asyncio.create_task(self._fetch_unread())

    async def _fetch_unread(self) -> int | None:
        try:
            data = await self.get("/v1/notifications", unread="true", limit=1)
        except (GatewayDown, GatewayProblem, SignInRequired):
            return None
        return int(data.get("unread_count") or 0) if isinstance(data, dict) else None

    def unread_count_is(self, count: int) -> None:
        """The page read the unread count itself (the inbox): the badge shows
        that same figure. The count asked for at the page's start may predate
        a notification the page lists, and the badge would say "aucune" above
        an unread notification."""
        if self._unread is not None and not self._unread.done():
            self._unread.cancel()
        known = asyncio.get_running_loop().create_future()
        known.set_result(count)
        self._unread = known

    async def unread_count(self) -> int | None:
        if not self.user:
            return None
        self.start_unread_count()
        assert self._unread is not None
        return await self._unread

    # ------------------------------------------------------------ forms
    async def form(self) -> FormData:
        """The submitted form, after checking its CSRF token."""
        if self.form_data is None:
            self.form_data = await self.request.form()
            self.request.state.form = self.form_data
        submitted = self.form_data.get(csrf.FIELD) or self.request.headers.get(csrf.HEADER)
        if not csrf.is_valid(self.session.csrf, str(submitted) if submitted else None):
            raise BadCsrf()
        return self.form_data

    def idempotency_key(self) -> str:
        """The key generated when the form was rendered (so a double click or a
        resubmission reuses it), or a new one for a form that had none."""
        submitted = str((self.form_data or {}).get(IDEMPOTENCY_FIELD) or "")
        if 8 <= len(submitted) <= 255 and submitted.isprintable():
            return submitted
        return uuid.uuid4().hex

    # ------------------------------------------------------------ answers
    async def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        templates = self.app_state.templates
        values.setdefault("form", {})
        values.setdefault("errors", None)
        context = {
            "ctx": self,
            "user": self.user,
            "role": self.role,
            "csrf_token": self.session.csrf,
            "new_idempotency_key": lambda: secrets.token_urlsafe(18),
            "flash": self.session.take_flash(),
            "unread": await self.unread_count(),
            "path": self.request.url.path,
            **values,
        }
        html = templates.get_template(template).render(context)
        return HTMLResponse(html, status_code=status_code)

    def redirect(self, url: str, message: str | None = None) -> Response:
        if message:
            self.session.say(message)
        if self.is_htmx:
            # htmx follows a 303 by itself, but then cannot tell the browser's
            # address bar; HX-Location does both.
            return Response(status_code=200, headers={"HX-Location": url})
        return RedirectResponse(url, status_code=303)


async def page(request: Request) -> Ctx:
    ctx = Ctx(request)
    ctx.start_unread_count()
    return ctx


async def member(ctx: Ctx = Depends(page)) -> Ctx:
    if not ctx.user:
        raise SignInRequired()
    return ctx


def role_in(*roles: str):
    async def check(ctx: Ctx = Depends(member)) -> Ctx:
        if ctx.role not in roles:
            raise NotAllowed()
        return ctx

    return check


staff = role_in("advisor", "admin")
organizer = role_in("advisor", "company", "admin")
