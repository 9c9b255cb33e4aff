"""Text fields of the API, defined once for the gateway and the services.

Every text the platform accepts (bodies, query and path parameters) is one
of these types. Each refuses NUL and the other control characters (tab,
line feed and carriage return are allowed) and lone surrogates, with a 422
naming the field: PostgreSQL cannot store NUL, UTF-8 cannot carry a lone
surrogate, and the other control characters only serve to hide or garble
text shown to other people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Those and lone surrogates, in one class: a text is scanned once.
_REFUSED = re.compile(f"[{_CONTROL}\ud800-\udfff]")
# What the OpenAPI document says about every text field (JSON Schema regex).
NO_CONTROL_CHARACTER = rf"^[^{_CONTROL}]*$"


def check_text(value: Any) -> Any:
    """Refuse control characters and lone surrogates; anything else goes on
    to the field's own validation unchanged."""
    found = _REFUSED.search(value) if isinstance(value, str) else None
    if found is None:
        return value
    if "\ud800" <= found.group() <= "\udfff":
        raise PydanticCustomError("text_lone_surrogate", "lone surrogates are not allowed")
    raise PydanticCustomError("text_control_character", "control characters are not allowed")


def printable(value: str) -> str:
    """`value` with what `check_text` refuses replaced by U+FFFD, to show it back."""
    return _REFUSED.sub("\ufffd", value)


@dataclass(frozen=True)
class CleanText:
    """Annotated marker: ``Annotated[str, ..., CleanText()]``.

    It checks the raw input before the field's other rules (so a NUL is named
    as such, even in a field with a pattern) and documents the rule as a
    pattern in the JSON Schema when the field has no pattern of its own.
    (A pydantic `pattern` alone would not do: it answers "format invalide"
    for a NUL, and a lone surrogate never reaches it.)
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(check_text, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        json_schema = handler(schema)
        if json_schema.get("type") == "string":
            json_schema.setdefault("pattern", NO_CONTROL_CHARACTER)
        return json_schema


CLEAN = CleanText()


def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("text_blank", "text must not be blank")
    return text


def Text(min_length: int | None = None, max_length: int | None = None, *, pattern: str | None = None) -> Any:
    """A single-line value (name, title, code, id): trimmed before its
    length and pattern are checked."""
    constraints = StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern)
    return Annotated[str, constraints, CLEAN]


def Prose(max_length: int, min_length: int = 1) -> Any:
    """Text written by a person (a post body, a message): kept as typed, line
    breaks and indentation included; it must not be blank."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_not_blank), CLEAN]


def Raw(min_length: int | None = None, max_length: int | None = None, *, pattern: str | None = None) -> Any:
    """Text taken exactly as sent (a password, a token, a bio that may be empty)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=pattern), CLEAN]


# A light check only; identity validates and normalises addresses for real.
_ADDRESS_PART = rf"[^@\s{_CONTROL}]+"
Email = Raw(max_length=254, pattern=rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$")
Slug = Text(1, 80)
Id = Text(1, 64)
# An id in a path: the service says whether it exists (404).
ResourceId = Raw(1, 128)
