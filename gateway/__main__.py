"""``python -m gateway``: uvicorn with every log line in JSON.

Several worker processes by default on a machine with several cores
(GATEWAY_WORKERS, gateway/settings.py): one asyncio process uses one core,
and the gateway's work per request (HTTP, tokens, JSON) is CPU. Workers share
the port; each has its own RPC client, notification stream and revocation
follower, and /metrics adds up every worker's counts (gateway/metrics.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

import uvicorn

from gateway.logs import configure_logging
from gateway.metrics import MULTIPROCESS_DIR_VARIABLE
from gateway.settings import GatewaySettings


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the HTTP gateway.")
    settings = GatewaySettings()
    parser.add_argument("--host", default=settings.gateway_host, help="default: GATEWAY_HOST")
    parser.add_argument("--port", type=int, default=settings.gateway_port, help="default: GATEWAY_PORT")
    parser.add_argument("--workers", type=int, default=settings.worker_count(),
                        help="default: GATEWAY_WORKERS, or one per CPU core (at most 4)")
    args = parser.parse_args()
    configure_logging(settings.log_level)
    metrics_dir = None
    if args.workers > 1 and not os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        # Set before the workers start: prometheus_client reads it at import.
        metrics_dir = tempfile.mkdtemp(prefix="gateway-metrics-")
        os.environ[MULTIPROCESS_DIR_VARIABLE] = metrics_dir
    try:
        uvicorn.run(
            "gateway.app:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,  # uvicorn's loggers propagate to our JSON handler
            access_log=False,  # gateway.access logs each request with its context
            proxy_headers=True,
            # Forwarded headers only from these proxies (the web app, an ingress).
            forwarded_allow_ips=settings.forwarded_allow_ips,
            # uvicorn's standard extras: HTTP parsed in C and the libuv event loop
            # instead of h11 and asyncio's own (docs/benchmarks.md).
            http="httptools",
            loop="uvloop",
        )
    finally:
        if metrics_dir is not None:
            # Nothing after this process's uvicorn may write into the removed directory.
            os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
