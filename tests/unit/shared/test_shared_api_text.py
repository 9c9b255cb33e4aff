"""Text hygiene: every text type of the API refuses control characters (tab,
line feed and carriage return allowed) and lone surrogates, naming the field,
and every text field of every API model is one of these types."""
import importlib
import pkgutil

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import shared.api
from shared.api.base import QueryModel, RequestModel
from shared.api.identity import ProfileIn
from shared.api.text import Email, Id, Prose, Raw, ResourceId, Slug, Text
from shared.errors import ValidationFailed
from shared.validation import parse
from tests.unit.text_fields import unchecked_text

TYPES = {
    "Text": Text(0, 100), "Prose": Prose(100), "Raw": Raw(max_length=100), "Slug": Slug, "Id": Id,
    "ResourceId": ResourceId, "Email": Email,
}
REFUSED = {
    "NUL": ("a\x00b", "text_control_character"),
    "bell": ("a\x07b", "text_control_character"),
    "vertical tab": ("a\x0bb", "text_control_character"),
    "escape": ("a\x1b[31mb", "text_control_character"),
    "DEL": ("a\x7fb", "text_control_character"),
    "C1 control": ("a\x85b", "text_control_character"),
    "lone high surrogate": ("a\ud800b", "text_lone_surrogate"),
    "lone low surrogate": ("a\udfffb", "text_lone_surrogate"),
}


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("case", REFUSED)
def test_every_text_type_refuses_control_characters_and_lone_surrogates(name, case):
    value, error_type = REFUSED[case]
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(TYPES[name]).validate_python(value.replace("b", "b@c.fr") if name == "Email" else value)
    assert refused.value.errors()[0]["type"] == error_type


@pytest.mark.parametrize("value", ["ligne 1\nligne 2\r\n\tindentée", "Élodie, café 😀 — « ok »"])
def test_tab_line_breaks_accents_and_emoji_are_kept(value):
    assert TypeAdapter(Prose(100)).validate_python(value) == value


def test_a_service_refuses_it_too_naming_the_field_in_french():
    with pytest.raises(ValidationFailed) as refused:
        parse(ProfileIn, {"bio": "bonjour\x00monde", "topics": ["emploi", "a\ud800"]})
    assert refused.value.errors == [
        {"loc": ["body", "bio"], "msg": "Caractère de contrôle interdit (seuls la tabulation et les retours à la ligne sont permis)."},
        {"loc": ["body", "topics", 1], "msg": "Caractère invalide : demi-paire de substitution (surrogate) isolée."},
    ]


def _api_models() -> list[type[BaseModel]]:
    models = []
    for info in pkgutil.iter_modules(shared.api.__path__):
        module = importlib.import_module(f"shared.api.{info.name}")
        models += [v for v in vars(module).values()
                   if isinstance(v, type) and issubclass(v, (RequestModel, QueryModel)) and v.__module__ == module.__name__]
    return models


def test_the_checker_finds_a_plain_string():
    class Loose(RequestModel):
        name: str
        tags: list[str] | None = None
        fine: Text(1, 10)

    assert unchecked_text(Loose) == ["Loose.name", "Loose.tags"]


@pytest.mark.parametrize("model", _api_models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_text_field_of_every_api_model_is_checked(model):
    assert unchecked_text(model) == []
