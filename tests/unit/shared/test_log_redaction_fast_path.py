"""Redaction's fast path (issue 17): a text holding none of the patterns'
required parts is returned after one search; every secret still goes."""
import pytest

from shared.observability import logging as platform_logging
from shared.observability.logging import redact_text


class Untouchable:
    def sub(self, *args, **kwargs):
        raise AssertionError("the substitutions ran on a text that cannot hold a secret")


def test_a_plain_text_skips_the_substitutions(monkeypatch):
    for name in ("URL_CREDENTIALS", "AUTH_SCHEME", "JWT", "SECRET_ASSIGNMENT", "EMAIL"):
        monkeypatch.setattr(platform_logging, name, Untouchable())
    for text in ("entrypoint handled", "on_post_created", "success", "platform.entrypoint", "2026-11-30T13:00:00Z",
                 "3f2b8c1e-6a0d-4c59-9e7a-0d2f1b6c9a11", "file \"/srv/app.py\", line 3, in handle"):
        assert redact_text(text) == text


@pytest.mark.parametrize("text, hidden", [
    ("écrire à Marie.Dupont@exemple.fr", "Marie.Dupont@exemple.fr"),
    ("amqp://platform_posts:s3cr3t-pw@rabbit:5672/", "s3cr3t-pw"),
    ("Authorization: BEARER abcdefgh12345678", "abcdefgh12345678"),
    ("basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"),
    ("PASSWORD=hunter22", "hunter22"), ("Passwd: hunter22", "hunter22"), ("client_SECRET=abc123", "abc123"),
    ("Api-Key=k-123456", "k-123456"), ("apikey: k-123456", "k-123456"), ('{"refresh_Token": "r-99"}', "r-99"),
])
def test_every_kind_of_secret_is_still_masked(text, hidden):
    assert hidden not in redact_text(text)


def test_a_header_named_x_api_key_is_a_secret_key():
    assert platform_logging.redact({"X-Api-Key": "k-123456"}) == {"X-Api-Key": platform_logging.REDACTED}
