"""kombu's `json` serializer runs on orjson in nameko processes (issue 17):
the same JSON on the wire, kombu's forms kept where orjson differs."""
import datetime
import decimal
import json
import uuid

import pytest
from kombu import serialization
from kombu.exceptions import DecodeError
from kombu.utils import json as kombu_json

import shared.chassis  # noqa: F401 (installs the codec, as every service does)
from shared.messaging import json_codec


def roundtrip(value):
    content_type, encoding, body = serialization.dumps(value, serializer="json")
    assert (content_type, encoding) == ("application/json", "utf-8")
    return body, serialization.loads(body, content_type, encoding)


def test_the_services_serializer_is_orjson():
    assert serialization.registry._encoders["json"][2] is json_codec.dumps
    assert serialization.registry._decoders["application/json"] is json_codec.loads


@pytest.mark.parametrize("value", [
    {"items": [{"id": str(uuid.uuid4()), "title": "Entretien à Lille \u2028", "n": 3, "score": 0.25,
                "pinned": False, "tags": None}], "next_cursor": None},
    ["a", 1, 2.5, True, None], "texte seul", {}, [],
])
def test_plain_json_reads_back_as_the_standard_library_reads_it(value):
    body, decoded = roundtrip(value)
    assert json.loads(body) == value == decoded


def test_values_kombu_tags_keep_kombu_s_form():
    value = {"at": datetime.datetime(2026, 11, 30, 13, 0, tzinfo=datetime.timezone.utc),
             "on": datetime.date(2026, 11, 30), "amount": decimal.Decimal("1.50")}
    body, decoded = roundtrip(value)
    assert json.loads(body) == json.loads(kombu_json.dumps(value))
    assert decoded == kombu_json.loads(kombu_json.dumps(value))


def test_a_uuid_is_its_plain_string():
    body, decoded = roundtrip({"id": uuid.UUID(int=7)})
    assert decoded == {"id": "00000000-0000-0000-0000-000000000007"}


def test_what_orjson_refuses_goes_through_kombu():
    body, decoded = roundtrip({"big": 2**70})
    assert decoded == {"big": 2**70}
    assert json_codec.loads(b'{"x": "\\ud800"}') == {"x": "\ud800"}


def test_a_body_that_is_not_json_is_a_decode_error():
    with pytest.raises(DecodeError):
        serialization.loads(b"{pas du json", "application/json", "utf-8")
