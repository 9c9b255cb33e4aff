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
from gateway.docs import install_docs
from gateway.errors import install_error_handlers
from gateway.logs import configure_logging
from gateway.metrics import GatewayMetrics
from gateway.middleware import REQUEST_ID_HEADER, RequestContextMiddleware, RequestGuardMiddleware
from gateway.notification_stream import NotificationStream
from gateway.openapi import install_openapi
from gateway.ratelimit import DATABASE as RATE_LIMIT_DATABASE
from gateway.ratelimit import CounterStore, PostgresCounterStore, RateLimitMiddleware
from gateway.responses import FastJSONResponse
from gateway.routes import all_routers
from gateway.rpc_client import RpcClient
from shared.caller_token import CallerSigner
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

DESCRIPTION = """\
API de la plateforme d'entraide des demandeurs d'emploi.

Authentification : `Authorization: Bearer <jeton d'accès>` (POST /v1/auth/token).
Erreurs : `application/problem+json` (`type`, `title`, `status`, `detail`,
`errors` pour la validation, `request_id`). Chaque réponse porte `X-Request-ID`.
Une méthode qu'un chemin n'a pas : 405 avec l'en-tête `Allow`, qui liste les
méthodes du chemin (réponse `MethodNotAllowed` des composants).
"""
RATE_LIMITS_DESCRIPTION = """
Limites de débit, par fenêtre de {window} secondes : par membre, {requests} requêtes
dont {writes} écritures (POST, PATCH, PUT, DELETE) ; par adresse, {auth} requêtes non
authentifiées sur `/v1/auth/*`. Les réponses comptées portent `RateLimit-Policy`
et `RateLimit` ; au-delà, 429 avec `Retry-After`.
"""


def create_app(
    settings: GatewaySettings | None = None,
    *,
    rpc_client: RpcCaller | None = None,
    rate_limit_store: CounterStore | None = None,
) -> FastAPI:
    """Build the app; an injected ``rpc_client`` is used as is (not started
    nor closed). The rate-limit counters are in the gateway's database unless
    a store is injected; with an injected RPC client and no store (unit
    tests), nothing is rate-limited."""
    settings = settings or GatewaySettings()
    owned_store = None
    if settings.rate_limits_enabled and rate_limit_store is None and rpc_client is None:
        # As the gateway's own role, allowed on its database alone (stack/db_roles.py).
        owned_store = PostgresCounterStore(
            settings.service_database_url(RATE_LIMIT_DATABASE).replace("postgresql+psycopg://", "postgresql://", 1)
        )
    counter_store = rate_limit_store or owned_store
    metrics = GatewayMetrics()
    verifier = TokenVerifier(
        settings.jwt_public_key_path,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
    caller_signer = CallerSigner.lazy(settings.caller_private_key_path)
    owned_client = (
        RpcClient(settings.amqp_uri, default_timeout=settings.rpc_timeout_seconds,
                  caller_signer=caller_signer)
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
            if owned_store is not None:
                await owned_store.close()

    app = FastAPI(
        title="Plateforme communautaire — API",
        version="1.0.0",
        description=DESCRIPTION + (RATE_LIMITS_DESCRIPTION.format(
            window=settings.rate_limit_window_seconds, requests=settings.rate_limit_member_requests,
            writes=settings.rate_limit_member_writes, auth=settings.rate_limit_auth_requests,
        ) if settings.rate_limits_enabled else ""),
        lifespan=lifespan,
        # /docs is served with local assets (gateway/docs.py); FastAPI's own
        # pages load Swagger UI and ReDoc from a CDN.
        docs_url=None,
        redoc_url=None,
        default_response_class=FastJSONResponse,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.token_verifier = verifier
    # None with an injected RPC client (unit tests): nothing is signed then.
    app.state.caller_signer = caller_signer if rpc_client is None else None
    blocklist = AccessBlocklist()
    app.state.access_blocklist = blocklist
    app.state.rpc_client = rpc_client if rpc_client is not None else owned_client
    app.state.notification_stream = owned_stream or NotificationStream()
    # A revoked login or member loses its open live streams at once.
    blocklist.on_revoked(app.state.notification_stream.end_access)

    install_error_handlers(app)
    for router in all_routers():
        app.include_router(router)

    # Added innermost first: RequestContext > CORS > RateLimit > RequestGuard (body size, last-resort 500).
    app.add_middleware(RequestGuardMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limits_enabled and counter_store is not None:
        app.add_middleware(
            RateLimitMiddleware,
            store=counter_store,
            metrics=metrics,
            requests_per_window=settings.rate_limit_member_requests,
            writes_per_window=settings.rate_limit_member_writes,
            auth_per_window=settings.rate_limit_auth_requests,
            window_seconds=settings.rate_limit_window_seconds,
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After", "RateLimit-Policy", "RateLimit"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics, slow_ms=settings.log_slow_call_ms)
    install_openapi(app)
    install_docs(app)
    return app


app = create_app()
