"""The web app: ``uvicorn web.app:app`` or ``create_app(settings)``."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.context import BadCsrf, Ctx, NotAllowed, SignInRequired
from web.gateway import Gateway, GatewayDown, GatewayProblem
from web.metrics import WebMetrics
from web.pages import all_routers
from web.problems import STATUS_MESSAGES
from web.session import COOKIE_NAME, Refresher, Session, SessionSealer
from web.settings import WebSettings
from web.templating import make_templates

log = logging.getLogger("web")
HERE = Path(__file__).parent

# No inline script, no inline style, nothing from elsewhere: every asset is
# served by the app itself, and no third party is contacted before the
# person asks (videos are plain links).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}


class SessionMiddleware:
    """Opens the sealed session cookie before the request and writes it back
    when the request changed it. Pure ASGI, so streamed answers (the
    notification stream) pass through untouched."""

    def __init__(self, app: ASGIApp, sealer: SessionSealer, secure: bool):
        self.app = app
        self.sealer = sealer
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/healthz", "/metrics")):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.sealer.unseal(request.cookies.get(COOKIE_NAME))
        if session is None:
            session = Session(changed=True)  # a first visit: an anonymous session with its CSRF secret
        scope.setdefault("state", {})
        scope["state"]["session"] = session
        scope["state"]["request_id"] = uuid.uuid4().hex

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if session.changed:
                    headers.append("set-cookie", self.cookie(session))
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if session.signed_in and "cache-control" not in headers:
                    headers["cache-control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def cookie(self, session: Session) -> str:
        parts = [f"{COOKIE_NAME}={self.sealer.seal(session)}", "Path=/", "HttpOnly", "SameSite=Lax",
                 f"Max-Age={self.sealer.max_age}"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: WebMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                # A page is rendered before its headers go: this is its server time.
                elapsed = (time.perf_counter() - started) * 1000
                MutableHeaders(scope=message).append("server-timing", f"app;dur={elapsed:.1f}")
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "unmatched")
            method = scope.get("method", "GET")
            self.metrics.http_requests.labels(method, template, str(status["code"])).inc()
            if template != "/notifications/flux":  # a stream lasts minutes: not a response time
                self.metrics.http_duration.labels(method, template).observe(time.perf_counter() - started)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    metrics = WebMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.gateway.close()

    app = FastAPI(title="Plateforme communautaire — web", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.gateway = Gateway(settings.gateway_url, settings.web_gateway_timeout_seconds)
    app.state.refresher = Refresher()
    app.state.templates = make_templates(HERE / "templates")
    app.state.topics_cache = {}
    app.state.waiting_cache = {}

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        # Prometheus scrapes the process directly; through a proxy (the
        # Ingress adds X-Forwarded-For) the figures are nobody's business.
        if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
            return HTMLResponse("Introuvable", status_code=404)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in all_routers():
        app.include_router(router)
    install_error_pages(app)

    app.add_middleware(SessionMiddleware, sealer=SessionSealer(settings.web_cookie_secret, settings.web_session_max_age_days * 86400),
                       secure=settings.secure_cookies)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


# Form fields never shown back to the person, even on the "service down" page.
SECRET_FIELDS = {"password", "current_password", "new_password", "csrf_token"}


def install_error_pages(app: FastAPI) -> None:
    async def ctx_for(request: Request) -> Ctx:
        return Ctx(request)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        ctx = await ctx_for(request)
        # Back to the page after signing in (a form's page for a POST: its
        # content is not kept, the person was not signed in to send it).
        target = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
        return ctx.redirect("/connexion?suite=" + quote(target, safe="/"))

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        ctx = await ctx_for(request)
        return await ctx.render("error.html", status_code=403, title="Accès réservé",
                                message="Cette page est réservée à d'autres rôles que le vôtre.")

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        ctx = await ctx_for(request)
        return await ctx.render(
            "error.html", status_code=403, title="Formulaire expiré",
            message="Ce formulaire a expiré (la page était ouverte depuis une autre session). "
            "Revenez en arrière, rechargez la page, puis recommencez.",
        )

    @app.exception_handler(GatewayDown)
    async def service_down(request: Request, exc: GatewayDown) -> Response:
        ctx = await ctx_for(request)
        form = getattr(request.state, "form", None)
        kept = [(k, str(v)) for k, v in form.multi_items() if k not in SECRET_FIELDS and isinstance(v, str)] if form else []
        return await ctx.render("service_down.html", status_code=503, kept=kept, action=request.url.path,
                                method=request.method)

    @app.exception_handler(GatewayProblem)
    async def problem(request: Request, exc: GatewayProblem) -> Response:
        ctx = await ctx_for(request)
        detail = exc.problem.get("detail") if isinstance(exc.problem.get("detail"), str) else None
        titles = {403: "Accès refusé", 404: "Page introuvable", 409: "Déjà fait", 429: "Un peu de patience"}
        headers = {"Retry-After": exc.headers["retry-after"]} if "retry-after" in exc.headers else None
        response = await ctx.render("error.html", status_code=exc.status if exc.status < 500 else 502,
                                    title=titles.get(exc.status, "Action impossible"),
                                    message=detail or STATUS_MESSAGES.get(exc.status, "Cette action n'a pas abouti."))
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/static/") or "session" not in request.scope.get("state", {}):
            return HTMLResponse("Introuvable", status_code=404)
        ctx = await ctx_for(request)
        return await ctx.render("error.html", status_code=404, title="Page introuvable",
                                message="Cette adresse ne mène à aucune page. Vérifiez-la, ou repartez de l'accueil.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if "session" not in request.scope.get("state", {}):
            return HTMLResponse("Erreur", status_code=500)
        ctx = await ctx_for(request)
        return await ctx.render("error.html", status_code=500, title="Une erreur est survenue",
                                message="Une erreur inattendue est survenue de notre côté. Réessayez dans un instant.")


app = create_app()
