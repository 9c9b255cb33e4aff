"""``python -m gateway``: uvicorn with every log line in JSON."""

from __future__ import annotations

import argparse

import uvicorn

from gateway.logs import configure_logging
from gateway.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the HTTP gateway.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    configure_logging(Settings().LOG_LEVEL)
    uvicorn.run(
        "gateway.app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # uvicorn's loggers propagate to our JSON handler
        access_log=False,  # gateway.access logs each request with its context
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
