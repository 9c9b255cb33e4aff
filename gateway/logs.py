"""JSON log lines carrying the request's correlation id."""

from __future__ import annotations

import logging
import sys

# The platform's formatter and correlation id (one context for every
# process): the same fields as the services', and it masks secrets, e-mail
# addresses and credentials whatever logs them.
from shared.observability.logging import JsonFormatter, correlation_id

_HANDLER_MARK = "_gateway_json_handler"


class ContextFilter(logging.Filter):
    """Adds service and correlation_id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = "gateway"
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = correlation_id.get()
        return True


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(level: str = "INFO") -> None:
    """Log JSON lines to stdout, unless the host process configured logging.

    Under uvicorn the root logger has no handler, so ours is installed; under
    pytest (or any host that set up logging) nothing is changed.
    """
    root = logging.getLogger()
    if any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        return
    if root.handlers:
        return
    root.addHandler(json_handler())
    root.setLevel(level.upper())
