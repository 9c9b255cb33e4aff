"""The HTTP gateway: ``uvicorn gateway.app:app`` or ``create_app(...)``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gateway.access import AccessBlocklist, AccessEventsFollower
from gateway.auth import TokenVerifier
from gateway.backend import RpcCaller
from gateway.errors import install_error_handlers
from gateway.logs import configure_logging
from gateway.metrics import GatewayMetrics
from gateway.middleware import REQUEST_ID_HEADER, RequestContextMiddleware, RequestGuardMiddleware
from gateway.notification_stream import NotificationStream
from gateway.openapi import install_openapi
from gateway.responses import FastJSONResponse
from gateway.routes import all_routers
from gateway.rpc_client import RpcClient
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

DESCRIPTION = """\
API de la plateforme d'entraide des demandeurs d'emploi.

Authentification : `Authorization: Bearer <jeton d'accès>` (POST /v1/auth/token).
Erreurs : `application/problem+json` (`type`, `title`, `status`, `detail`,
`errors` pour la validation, `request_id`). Chaque réponse porte `X-Request-ID`.
"""


def create_app(settings: GatewaySettings | None = None, *, rpc_client: RpcCaller | None = None) -> FastAPI:
    """Build the app; an injected ``rpc_client`` is used as is (not started nor closed)."""
    settings = settings or GatewaySettings()
    metrics = GatewayMetrics()
    verifier = TokenVerifier(
        settings.jwt_public_key_path,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
    owned_client = (
        RpcClient(settings.amqp_uri, default_timeout=settings.rpc_timeout_seconds)
        if rpc_client is None
        else None
    )
    # Live notifications (SSE); with an injected RPC client (unit tests) the
    # stream is not connected and only fans out what is dispatched to it.
    owned_stream = NotificationStream(settings.amqp_uri) if rpc_client is None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        verifier.load()
        follower = None
        if owned_client is not None:
            if not await owned_client.start(wait=settings.rpc_timeout_seconds):
                log.warning("Broker not reachable yet; retrying in the background")
            follower = AccessEventsFollower(
                settings.amqp_uri,
                blocklist,
                lambda: owned_client.call("identity", "access_blocks", timeout=settings.rpc_timeout_seconds),
            )
            app.state.access_follower = follower
            await follower.start()
            # Serve once revocations are known; past the deadline, start anyway
            # (not ready in /readyz) and keep loading in the background.
            try:
                await asyncio.wait_for(follower.ready.wait(), timeout=settings.rpc_timeout_seconds)
            except asyncio.TimeoutError:
                log.warning("access revocations not loaded yet; /readyz says so until they are")
        if owned_stream is not None and not await owned_stream.start(wait=settings.rpc_timeout_seconds):
            log.warning("Notification stream not connected yet; retrying in the background")
        try:
            yield
        finally:
            if owned_stream is not None:
                await owned_stream.close()
            if follower is not None:
                await follower.close()
            if owned_client is not None:
                await owned_client.close()

    app = FastAPI(
        title="Plateforme communautaire — API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=FastJSONResponse,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.token_verifier = verifier
    blocklist = AccessBlocklist()
    app.state.access_blocklist = blocklist
    app.state.rpc_client = rpc_client if rpc_client is not None else owned_client
    app.state.notification_stream = owned_stream or NotificationStream()

    install_error_handlers(app)
    for router in all_routers():
        app.include_router(router)

    # Added innermost first: RequestContext > CORS > RequestGuard (body size, last-resort 500).
    app.add_middleware(RequestGuardMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics, slow_ms=settings.log_slow_call_ms)
    install_openapi(app)
    return app


app = create_app()
