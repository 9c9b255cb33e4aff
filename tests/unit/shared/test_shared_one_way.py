"""One way to do each thing, kept so: one correlation-id context, one
`free_port`, one HTTP client library (httpx), back-off from one helper
(shared/backoff.py, on tenacity)."""
import re
from pathlib import Path

from shared import backoff
from shared.settings import REPO_ROOT

CODE = ("shared", "services", "gateway", "stack", "tools", "tests", "bench")


def lines_matching(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for folder in CODE
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if regex.search(line)
    ]


def files_matching(pattern: str) -> list[str]:
    return [found.split(":")[0] for found in lines_matching(pattern)]


def test_one_correlation_id_context():
    assert files_matching(r"ContextVar\(\s*\"correlation_id\"") == ["shared/observability/logging.py"]


def test_free_port_is_written_once():
    assert files_matching(r"^def free_port\(") == ["stack/testing.py"]


def test_httpx_is_the_one_http_client():
    assert lines_matching(r"^\s*(import requests|from requests\b)") == []


def test_no_hand_written_exponential_back_off():
    assert lines_matching(r"\b2 \*\* (attempts|failures|retries)|\* 2 \*\* ") == []


def test_the_back_off_doubles_from_first_up_to_most():
    assert [backoff.delay(n, first=0.5, most=3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_until_done_retries_listed_failures_with_the_cleanup_and_raises_others():
    import asyncio
    import logging

    calls, cleanups = [], []

    async def connect():
        calls.append(len(calls))
        if len(calls) < 3:
            raise ConnectionError("not yet")

    async def drop():
        cleanups.append(True)

    asyncio.run(backoff.until_done(connect, logging.getLogger("test"), "retrying", first=0.001, most=0.002,
                                   errors=(ConnectionError,), after_failure=drop))
    assert len(calls) == 3 and len(cleanups) == 2

    async def broken():
        raise ValueError("a bug, not an outage")

    import pytest

    with pytest.raises(ValueError):
        asyncio.run(backoff.until_done(broken, logging.getLogger("test"), "retrying", first=0.001, most=0.002,
                                       errors=(ConnectionError,)))
