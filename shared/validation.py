"""Validation errors in French, the same at the gateway and in the services.

`MESSAGES` is the one table from pydantic's error types to what people read;
`field_errors` turns pydantic errors into the `{loc, msg}` items of a 422;
`parse` validates a service's RPC input and raises ValidationFailed (422).
"""
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.api.text import printable
from shared.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ non autorisé.",
    "string_too_short": "Texte trop court (au moins {min_length} caractères).",
    "string_too_long": "Texte trop long (au plus {max_length} caractères).",
    "string_pattern_mismatch": "Format invalide.",
    "string_type": "Texte attendu.",
    "string_unicode": "Texte mal encodé.",
    "text_blank": "Le texte ne peut pas être vide.",
    "text_control_character": "Caractère de contrôle interdit (seuls la tabulation et les retours à la ligne sont permis).",
    "text_lone_surrogate": "Caractère invalide : demi-paire de substitution (surrogate) isolée.",
    "literal_error": "Valeur non autorisée : {expected}.",
    "enum": "Valeur non autorisée : {expected}.",
    "greater_than": "Doit être supérieur à {gt}.",
    "greater_than_equal": "Doit être supérieur ou égal à {ge}.",
    "less_than": "Doit être inférieur à {lt}.",
    "less_than_equal": "Doit être inférieur ou égal à {le}.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "float_parsing": "Nombre attendu.",
    "float_type": "Nombre attendu.",
    "finite_number": "Nombre attendu.",
    "bool_parsing": "Valeur vraie ou fausse attendue.",
    "bool_type": "Valeur vraie ou fausse attendue.",
    "list_type": "Liste attendue.",
    "dict_type": "Objet attendu.",
    "model_type": "Objet attendu.",
    "model_attributes_type": "Objet attendu.",
    "too_long": "Trop d'éléments (au plus {max_length}).",
    "too_short": "Pas assez d'éléments (au moins {min_length}).",
    "date_parsing": "Date au format AAAA-MM-JJ attendue.",
    "date_from_datetime_parsing": "Date au format AAAA-MM-JJ attendue.",
    "date_from_datetime_inexact": "Date au format AAAA-MM-JJ attendue.",
    "date_type": "Date au format AAAA-MM-JJ attendue.",
    "datetime_parsing": "Date et heure au format RFC 3339 attendues.",
    "datetime_from_date_parsing": "Date et heure au format RFC 3339 attendues.",
    "datetime_type": "Date et heure au format RFC 3339 attendues.",
    "timezone_aware": "Date et heure avec fuseau horaire attendues (par exemple 2026-05-04T09:00:00Z).",
    "url_parsing": "Adresse web invalide.",
    "value_error": "Valeur invalide.",
}
FALLBACK = "Valeur invalide."


def french_message(error: Mapping[str, Any]) -> str:
    template = MESSAGES.get(error.get("type", ""), FALLBACK)
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" (")[0].split(" :")[0].rstrip(".") + "."


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: Sequence[str] = ()) -> list[dict[str, Any]]:
    """pydantic errors -> `[{loc, msg}]`, located under `prefix`, in French."""
    return [{"loc": [*prefix, *_location(error.get("loc", ()))], "msg": french_message(error)} for error in errors]


def _location(loc: Sequence[str | int]) -> list[str | int]:
    """A refused dict key is located by the key itself (pydantic adds `[key]`).
    A key may hold the very characters that were refused (a lone surrogate
    cannot even be encoded to answer): they are replaced."""
    parts = list(loc[:-1]) if loc and loc[-1] == "[key]" else list(loc)
    return [printable(part) if isinstance(part, str) else part for part in parts]


def parse(model: type[M], data) -> M:
    """Validate RPC input; unknown fields are refused even where the gateway
    ignores them (unknown query parameters)."""
    try:
        return model.model_validate(data if data is not None else {}, extra="forbid")
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc.errors(), ["body"])) from None
