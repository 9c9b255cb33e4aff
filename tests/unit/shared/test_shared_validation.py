"""shared.validation.parse: pydantic errors become ValidationFailed (422) in French."""
import re

import pytest
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import ValidationFailed
from shared.validation import parse


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    count: int = 1


def test_valid_input_gives_the_model():
    assert parse(Thing, {"name": "ok", "count": 3}) == Thing(name="ok", count=3)


def test_unknown_field_is_refused_under_body_in_french():
    with pytest.raises(ValidationFailed) as exc:
        parse(Thing, {"name": "ok", "role": "admin"})

    assert exc.value.errors == [{"loc": ["body", "role"], "msg": "Champ non autorisé."}]


def test_missing_field_is_refused_under_body_in_french():
    with pytest.raises(ValidationFailed) as exc:
        parse(Thing, {})

    assert exc.value.errors == [{"loc": ["body", "name"], "msg": "Champ obligatoire."}]


def test_none_input_is_treated_as_empty_body():
    with pytest.raises(ValidationFailed) as exc:
        parse(Thing, None)
    assert exc.value.errors[0]["loc"] == ["body", "name"]


def test_every_error_is_reported_and_located_under_body():
    with pytest.raises(ValidationFailed) as exc:
        parse(Thing, {"name": "x", "extra": 1})

    locs = sorted(tuple(e["loc"]) for e in exc.value.errors)
    assert locs == [("body", "extra"), ("body", "name")]
    assert all(e["loc"][0] == "body" for e in exc.value.errors)


def test_validation_errors_travel_as_first_exception_argument():
    with pytest.raises(ValidationFailed) as exc:
        parse(Thing, {})
    assert exc.value.args[0] == exc.value.errors


class Invitation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(default="X", pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    max_uses: int = Field(default=1, ge=1, le=1000)
    topics: list[str] = Field(default_factory=list, max_length=10)


ENGLISH = re.compile(r"\b(Input|should|String|List|valid|match|pattern|items)\b")


@pytest.mark.parametrize(
    "data",
    [{"code": "lille"}, {"max_uses": 0}, {"max_uses": "abc"}, {"topics": ["t"] * 11}],
    ids=["string_pattern_mismatch", "greater_than_equal", "int_parsing", "too_long"],
)
def test_constraint_errors_are_in_french_too(data):
    with pytest.raises(ValidationFailed) as exc:
        parse(Invitation, data)
    [error] = exc.value.errors
    assert not ENGLISH.search(error["msg"]), error["msg"]
