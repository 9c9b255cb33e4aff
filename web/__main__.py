"""``python -m web``: the web app on uvicorn, every log line in JSON."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from web.settings import Settings


def configure_logging(level: str) -> None:
    # The platform's formatter: the same fields as the other processes', and
    # it masks secrets, e-mail addresses and credentials whatever logs them.
    from shared.observability.logging import JsonFormatter

    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the web app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    configure_logging(Settings().LOG_LEVEL)
    uvicorn.run("web.app:app", host=args.host, port=args.port, workers=args.workers, log_config=None,
                access_log=False, proxy_headers=True)


if __name__ == "__main__":
    main()
