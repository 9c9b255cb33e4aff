"""One signed cursor codec for every list: an altered cursor, or one from
another list or another key, is a 422 on `cursor` with one French message."""
import re
import uuid
from datetime import datetime, timezone

import pytest

from shared import paging
from shared.errors import ValidationFailed
from shared.settings import REPO_ROOT

KEY = b"k" * 32
WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
ID = uuid.UUID("0b5c6a8e-3a52-4e1b-9f4a-2a3c2e3f4d5e")
SHAPE = (bool, float, datetime, uuid.UUID, int)


def refused(cursor: str, list_name: str = "posts.feed", shape=SHAPE, key: bytes = KEY) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        paging.decode(cursor, list_name, shape, key=key)
    return caught.value.errors[0]


def test_a_cursor_gives_back_its_typed_sort_key():
    cursor = paging.encode("posts.feed", True, 0.25, WHEN, ID, 7, key=KEY)
    assert paging.decode(cursor, "posts.feed", SHAPE, key=KEY) == (True, 0.25, WHEN, ID, 7)
    assert paging.decode(None, "posts.feed", SHAPE, key=KEY) is None


def test_an_altered_cursor_is_refused_on_the_cursor_field_in_french():
    cursor = paging.encode("posts.feed", True, 0.25, WHEN, ID, 7, key=KEY)
    payload, tag = cursor.split(".")
    forged = paging.encode("posts.feed", True, 0.25, WHEN, ID, 8, key=b"another key of enough length").split(".")[0]
    for bad in (f"{forged}.{tag}", f"{payload}.{tag[:-2]}AA", payload, "", "x.y", "%%%.!!!", cursor + "x"):
        error = refused(bad)
        assert error["loc"] == ["query", "cursor"] and error["msg"] == paging.BAD_CURSOR


def test_a_cursor_of_another_list_or_another_key_is_refused():
    cursor = paging.encode("posts.list", WHEN, ID, key=KEY)
    refused(cursor, "posts.comments", (datetime, uuid.UUID))
    refused(cursor, "posts.list", (datetime, uuid.UUID), key=b"another key of enough length")
    assert paging.decode(cursor, "posts.list", (datetime, uuid.UUID), key=KEY) == (WHEN, ID)


def test_a_signed_cursor_of_the_wrong_shape_is_refused_not_a_500():
    refused(paging.encode("l", "yes", key=KEY), "l", (bool,))
    refused(paging.encode("l", 1.5, key=KEY), "l", (int,))
    refused(paging.encode("l", "2026-03-01T12:00:00", key=KEY), "l", (datetime,))  # no time zone
    refused(paging.encode("l", 1, 2, key=KEY), "l", (int,))


def test_the_next_cursor_exists_only_when_one_more_row_was_fetched():
    rows = [(1,), (2,), (3,)]
    assert paging.next_cursor("l", rows, 3, lambda row: row) is None
    assert paging.decode(paging.next_cursor("l", rows, 2, lambda row: row), "l", (int,)) == (2,)


def test_no_service_writes_its_own_cursor_codec_or_message():
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in sorted((REPO_ROOT / "services").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"urlsafe_b64(en|de)code|Curseur", line)
    ]
    assert found == []


def test_a_text_sort_key_comes_back_as_text_and_nothing_else_passes_for_it():
    cursor = paging.encode("identity.invitations", WHEN, "Xy_9-abc", key=KEY)
    assert paging.decode(cursor, "identity.invitations", (datetime, str), key=KEY) == (WHEN, "Xy_9-abc")
    signed_number = paging.encode("identity.invitations", WHEN, 12, key=KEY)
    assert refused(signed_number, "identity.invitations", (datetime, str))["loc"] == ["query", "cursor"]


def test_every_cursor_has_the_format_the_openapi_document_states():
    """The OpenAPI document gives `cursor` this pattern (shared/api/base.py),
    so a client or a fuzzer knows what one looks like: every cursor made must
    match it, and one that does but was not made here is still refused."""
    from shared.api.base import Page

    for values in ((True, 0.25, WHEN, ID, 7), ("é" * 300,), (None,), ()):
        assert re.fullmatch(paging.CURSOR_PATTERN, paging.encode("posts.feed", *values, key=KEY))
    assert Page.model_json_schema()["properties"]["cursor"]["anyOf"][0]["pattern"] == paging.CURSOR_PATTERN
    made_up = "W10." + "A" * 22
    assert re.fullmatch(paging.CURSOR_PATTERN, made_up)
    assert refused(made_up)["msg"] == paging.BAD_CURSOR
