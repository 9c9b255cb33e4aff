"""Pure ASGI middleware: request context; body size limit and last-resort 500 in one layer."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import ProblemError, problem_response
from gateway.idempotency import REPLAYED_HEADER, REPLAYED_STATE
from shared.observability.logging import correlation_id
from gateway.metrics import GatewayMetrics

log = logging.getLogger("gateway.access")
error_log = logging.getLogger("gateway.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Browsers keep to HTTPS for a year once they have seen it over HTTPS
    # (the header is ignored over plain HTTP, e.g. on a developer machine).
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    # JSON answers load nothing and are framed by nobody; /docs sets its own.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
# What a shared cache or the browser's history must never keep: answers to a
# request carrying a token, and the tokens /v1/auth/* hands out.
NO_STORE = "no-store"
AUTH_PATH_PREFIX = "/v1/auth/"
UNMATCHED_ROUTE = "unmatched"


def _request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is safe to log, else a new uuid4."""
    given = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if given and _SAFE_REQUEST_ID.match(given):
        return given
    return str(uuid.uuid4())


def _route_template(scope: Scope) -> str:
    """The matched route's path template, never the raw path (cardinality)."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Correlation id, security headers, access log line and HTTP metrics.

    The access line is INFO, except for a successful GET faster than
    ``slow_ms``: DEBUG (one INFO line per read was a tenth of the work of a
    busy process, issue 17; the metrics still count every request)."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, slow_ms: float = 500) -> None:
        self.app = app
        self.metrics = metrics
        self.slow_seconds = slow_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = correlation_id.set(request_id)
        started = time.perf_counter()
        status = 500
        private = scope["path"].startswith(AUTH_PATH_PREFIX) or any(
            name == b"authorization" for name, _ in scope["headers"]
        )

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if private:
                    headers["Cache-Control"] = NO_STORE
                if scope.get("state", {}).get(REPLAYED_STATE):  # set by Backend.create
                    headers[REPLAYED_HEADER] = "true"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(method, route).observe(elapsed)
            quiet = method in ("GET", "HEAD") and status < 400 and elapsed < self.slow_seconds
            level = logging.DEBUG if quiet else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            correlation_id.reset(token)


class RequestGuardMiddleware:
    """413 when Content-Length or the streamed body exceeds ``max_bytes``, and
    a generic 500 for any exception that escaped the handlers. One layer for
    both: each ASGI layer costs every request a call and a send wrapper."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> ProblemError:
        return ProblemError(
            413,
            f"Le corps de la requête dépasse la taille maximale de {self.max_bytes} octets.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._respond(self._too_large(), scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except ProblemError as exc:
            # Normally the route's exception handler answers; this covers reads
            # of the body outside a route.
            if exc.status_code != 413 or response_started:
                error_log.exception("Unhandled error")
                if response_started:
                    raise
                await problem_response(500)(scope, receive, send)
                return
            await self._respond(exc, scope, receive, send)
        except Exception:
            error_log.exception("Unhandled error")
            if response_started:
                raise
            await problem_response(500)(scope, receive, send)

    @staticmethod
    async def _respond(exc: ProblemError, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(exc.status_code, exc.detail, headers={"Connection": "close"})
        await response(scope, receive, send)
