"""JSON log lines carrying the correlation id, service and entrypoint.

The correlation id comes from the gateway (X-Request-ID), travels in nameko's
context headers through RPC and in the event envelope, and is set here per
worker, so every line a request causes can be found in every service's logs.
contextvars are per greenlet under eventlet and per task under asyncio.
"""
import contextvars
import logging
import os
import re

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
entrypoint: contextvars.ContextVar[str | None] = contextvars.ContextVar("entrypoint", default=None)

# Keys whose values must never be written to a log, whatever logs them: a key
# is secret when its lower-cased name contains one of these words
# ("new_password", "X-Auth-Token", "client_secret", "Authorization", "cookie").
SECRET_KEY_WORDS = ("password", "passwd", "token", "secret", "authorization", "cookie", "api_key", "api-key", "apikey")
# Kept for callers that test membership of a plain key.
SECRET_KEYS = {"password", "refresh_token", "access_token", "authorization", "token", "secret"}
REDACTED = "[redacted]"

# Personal data and credentials inside free text (messages, errors, tracebacks):
#   - e-mail addresses -> [email]
#   - "Bearer <credentials>" / "Basic <credentials>" (8+ characters: an Authorization value) -> Bearer [redacted]
#   - JSON Web Tokens on their own (three base64url parts, the first "eyJ") -> [jwt]
#   - password=..., "token": "...", secret: ... inside a message -> password=[redacted]
#   - credentials in a URL (amqp://user:pass@host) -> amqp://user:[redacted]@host
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
SECRET_ASSIGNMENT = re.compile(
    r"""(?P<key>["']?[\w-]*(?:password|passwd|token|secret|api[_-]?key)[\w-]*["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,;&}]+)""",
    re.IGNORECASE,
)
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@/\s]+@", re.IGNORECASE)


def is_secret_key(key) -> bool:
    name = str(key).lower()
    return any(word in name for word in SECRET_KEY_WORDS)


# Each pattern above needs one of these in the text ("@" for e-mails and URL
# credentials): a text without any is returned as it is after one search
# instead of five substitutions. Every field of every log line goes through
# here, and most hold none (issue 17: the per-call log line cost 75 us).
_ANY_TRIGGER = re.compile(r"@|eyJ|bearer|basic|password|passwd|token|secret|api[_-]?key", re.IGNORECASE)


def redact_text(text: str) -> str:
    """Mask credentials and e-mail addresses inside a free-form string."""
    if not _ANY_TRIGGER.search(text):
        return text
    text = URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    text = AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = JWT.sub("[jwt]", text)
    text = SECRET_ASSIGNMENT.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
    return EMAIL.sub("[email]", text)


def redact(value):
    """A copy of `value` (str, dict, list...) with secrets and e-mail addresses masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [redact(v) for v in value]
    return value


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.entrypoint = getattr(record, "entrypoint", None) or entrypoint.get()
        record.service = os.environ.get("SERVICE_NAME", "")
        return True


class ExpectedErrorFilter(logging.Filter):
    """Drops nameko's warning for an expected failure (a validation error,
    a 404, a 403: `expected_exceptions`), which comes with its traceback.
    The entrypoint's own line already records the call, outcome `rejected`,
    with its duration and correlation id (shared/observability/entrypoints.py);
    the traceback of a client's mistake is noise to whoever is on call, and
    a hostile client's bad requests each cost a formatted, redacted
    traceback. Unexpected errors still log theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "nameko.containers" and str(record.msg).startswith("(expected) error"))


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_record: dict) -> dict:
        """Every field, the message and the traceback included, goes through
        `redact`: secret-named keys at any depth are replaced, e-mail
        addresses and tokens inside text are masked."""
        return redact(log_record)


def configure(level: str = "INFO") -> None:
    """JSON lines on stdout, for processes not configured by nameko's YAML."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
