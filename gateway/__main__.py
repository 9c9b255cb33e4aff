"""``python -m gateway``: uvicorn with every log line in JSON."""

from __future__ import annotations

import argparse

import uvicorn

from gateway.logs import configure_logging
from gateway.settings import GatewaySettings


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the HTTP gateway.")
    settings = GatewaySettings()
    parser.add_argument("--host", default=settings.gateway_host, help="default: GATEWAY_HOST")
    parser.add_argument("--port", type=int, default=settings.gateway_port, help="default: GATEWAY_PORT")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    configure_logging(settings.log_level)
    uvicorn.run(
        "gateway.app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # uvicorn's loggers propagate to our JSON handler
        access_log=False,  # gateway.access logs each request with its context
        proxy_headers=True,
        # uvicorn's standard extras: HTTP parsed in C and the libuv event loop
        # instead of h11 and asyncio's own (docs/benchmarks.md).
        http="httptools",
        loop="uvloop",
    )


if __name__ == "__main__":
    main()
