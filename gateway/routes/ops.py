"""Operations: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.backend import Backend
from gateway.errors import problem_response, problem_responses
from gateway.responses import AnswerRoute
from gateway.rpc_client import RemoteError, RpcError

router = APIRouter(tags=["operations"], route_class=AnswerRoute)


@router.get("/healthz", summary="Le processus est vivant")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_service(backend: Backend, service: str, timeout: float) -> str | None:
    """None when healthy, else a short reason."""
    try:
        async with asyncio.timeout(timeout):
            result = await backend.call(service, "health", timeout=timeout)
    except TimeoutError:
        return "timeout"
    except RemoteError as exc:
        return exc.exc_type
    except RpcError as exc:
        return type(exc).__name__
    if not isinstance(result, dict) or result.get("status") != "ok":
        return "unhealthy"
    return None


@router.get(
    "/readyz",
    summary="Le courtier et chaque service répondent",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> Any:
    settings = request.app.state.settings
    client = request.app.state.rpc_client
    backend = Backend(request)
    timeout = settings.readiness_timeout_seconds
    checks: dict[str, str] = {"broker": "ok" if client.is_connected else "unreachable"}
    if client.is_connected:
        services = list(settings.gateway_services)
        reasons = await asyncio.gather(
            *(_check_service(backend, service, timeout) for service in services)
        )
        checks.update({s: reason or "ok" for s, reason in zip(services, reasons)})
    else:
        checks.update({service: "not checked" for service in settings.gateway_services})
    if not request.app.state.token_verifier.load():
        checks["jwt_public_key"] = "missing"
    signer = getattr(request.app.state, "caller_signer", None)
    if signer is not None and not signer.load():
        checks["caller_private_key"] = "missing"
    follower = getattr(request.app.state, "access_follower", None)
    if follower is not None and not follower.ready.is_set():
        checks["access_revocations"] = "not loaded"
    failed = sorted(n for n, state in checks.items() if state not in ("ok", "not checked"))
    if failed:
        return problem_response(
            503,
            "Indisponible : " + ", ".join(failed) + ".",
            extra={"checks": checks},
        )
    return {"status": "ok", "checks": checks}


@router.get(
    "/metrics",
    summary="Métriques Prometheus",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Format texte de Prometheus"}},
)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
