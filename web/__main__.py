"""``python -m web``: the web app on uvicorn, every log line in JSON."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from web.settings import WebSettings


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
    settings = WebSettings()
    parser = argparse.ArgumentParser(description="Run the web app.")
    parser.add_argument("--host", default=settings.web_host, help="default: WEB_HOST")
    parser.add_argument("--port", type=int, default=settings.web_port, help="default: WEB_PORT")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    configure_logging(settings.log_level)
    uvicorn.run("web.app:app", host=args.host, port=args.port, workers=args.workers, log_config=None,
                access_log=False, proxy_headers=True)


if __name__ == "__main__":
    main()
