"""JSON log lines carrying the correlation id, service and entrypoint.

The correlation id comes from the gateway (X-Request-ID), travels in nameko's
context headers through RPC and in the event envelope, and is set here per
worker, so every line a request causes can be found in every service's logs.
contextvars are per greenlet under eventlet and per task under asyncio.
"""
import contextvars
import logging
import os

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
entrypoint: contextvars.ContextVar[str | None] = contextvars.ContextVar("entrypoint", default=None)

# Keys whose values must never be written to a log, whatever logs them.
SECRET_KEYS = {"password", "refresh_token", "access_token", "authorization", "token", "secret"}


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.entrypoint = getattr(record, "entrypoint", None) or entrypoint.get()
        record.service = os.environ.get("SERVICE_NAME", "")
        return True


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_record: dict) -> dict:
        for key in list(log_record):
            if key.lower() in SECRET_KEYS:
                log_record[key] = "[redacted]"
        return log_record


def configure(level: str = "INFO") -> None:
    """JSON lines on stdout, for processes not configured by nameko's YAML."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
