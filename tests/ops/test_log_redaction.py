"""No secrets and no personal data in the logs: every JSON line goes through
shared.observability.logging.JsonFormatter, which masks secret-named fields
at any depth, and e-mail addresses, bearer tokens, JWTs, password=... and URL
credentials inside any text (message, error, traceback)."""
import io
import json
import logging

import pytest

from shared.observability.logging import CorrelationIdFilter, JsonFormatter, correlation_id

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMiLCJyb2xlIjoiam9iX3NlZWtlciJ9.c2lnbmF0dXJlLWJ5dGVz"


@pytest.fixture
def log_lines():
    """A logger writing through the platform's formatter; returns the parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationIdFilter())
    logger = logging.getLogger("tests.ops.redaction")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield logger, lines
    logger.handlers[:] = []


def test_secret_named_fields_are_redacted_at_any_depth(log_lines):
    logger, lines = log_lines
    logger.info(
        "login attempt",
        extra={
            "password": "hunter2-hunter2",
            "new_password": "correct horse battery",
            "refresh_token": "rt-0123456789",
            "headers": {"Authorization": f"Bearer {JWT}", "X-Request-ID": "req-1", "Cookie": "session=abc"},
            "attempts": [{"client_secret": "s3cr3t"}],
        },
    )
    (line,) = lines()
    assert line["password"] == line["new_password"] == line["refresh_token"] == "[redacted]"
    assert line["headers"] == {"Authorization": "[redacted]", "X-Request-ID": "req-1", "Cookie": "[redacted]"}
    assert line["attempts"] == [{"client_secret": "[redacted]"}]
    raw = json.dumps(line)
    for secret in ("hunter2", "correct horse", "rt-0123456789", JWT, "session=abc", "s3cr3t"):
        assert secret not in raw


def test_email_addresses_are_masked_in_messages_and_fields(log_lines):
    logger, lines = log_lines
    logger.warning("no account for %s", "lea.martin+pilote@exemple.fr", extra={"recipient": "Sam.Dupont@france-travail.fr"})
    (line,) = lines()
    assert line["message"] == "no account for [email]"
    assert line["recipient"] == "[email]"
    assert "exemple.fr" not in json.dumps(line) and "Dupont" not in json.dumps(line)


def test_bearer_tokens_and_jwts_are_masked_in_messages(log_lines):
    logger, lines = log_lines
    logger.info("upstream said: Authorization: Bearer %s", JWT)
    logger.info("token seen alone: %s", JWT)
    logger.info("basic auth: Basic Z3Vlc3Q6Z3Vlc3Q=")
    first, second, third = lines()
    assert first["message"] == "upstream said: Authorization: Bearer [redacted]"
    assert second["message"] == "token seen alone: [jwt]"
    assert third["message"] == "basic auth: Basic [redacted]"


def test_passwords_and_url_credentials_inside_text_are_masked(log_lines):
    logger, lines = log_lines
    logger.error("connect failed: amqp://svc:VeryS3cret@rabbit:5672/ with password=hunter2 and {'token': 'abc123'}")
    (line,) = lines()
    message = line["message"]
    assert "VeryS3cret" not in message and "hunter2" not in message and "abc123" not in message
    assert "amqp://svc:[redacted]@rabbit:5672/" in message
    assert "password=[redacted]" in message


def test_tracebacks_are_redacted_too(log_lines):
    logger, lines = log_lines
    try:
        raise ValueError("duplicate e-mail camille@exemple.fr with token=tk-999")
    except ValueError:
        logger.exception("register failed")
    (line,) = lines()
    raw = json.dumps(line)
    assert "camille@exemple.fr" not in raw and "tk-999" not in raw
    assert "ValueError: duplicate e-mail [email] with token=[redacted]" in line["exc_info"]


def test_operational_fields_are_kept(log_lines):
    """Redaction must not eat what operators need: ids, names, durations."""
    logger, lines = log_lines
    token = correlation_id.set("req-42")
    try:
        logger.info(
            "entrypoint handled",
            extra={"entrypoint": "create_post", "outcome": "success", "duration_ms": 12.5,
                   "queue": "evt-posts-post_created--moderation.on_post_created", "event_id": "9f1c"},
        )
    finally:
        correlation_id.reset(token)
    (line,) = lines()
    assert line["correlation_id"] == "req-42"
    assert line["entrypoint"] == "create_post" and line["outcome"] == "success" and line["duration_ms"] == 12.5
    assert line["queue"] == "evt-posts-post_created--moderation.on_post_created" and line["event_id"] == "9f1c"
    assert line["message"] == "entrypoint handled"
