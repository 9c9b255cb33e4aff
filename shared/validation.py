"""Validate RPC input with pydantic models, answering ValidationFailed (422)."""
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# pydantic's English messages for the common cases, in French for users.
_FRENCH = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ non autorisé.",
    "string_too_short": "Texte trop court (au moins {min_length} caractères).",
    "string_too_long": "Texte trop long (au plus {max_length} caractères).",
    "string_pattern_mismatch": "Format invalide.",
    "string_type": "Texte attendu.",
    "literal_error": "Valeur non autorisée : {expected}.",
    "enum": "Valeur non autorisée : {expected}.",
    "greater_than": "Doit être supérieur à {gt}.",
    "greater_than_equal": "Doit être supérieur ou égal à {ge}.",
    "less_than": "Doit être inférieur à {lt}.",
    "less_than_equal": "Doit être inférieur ou égal à {le}.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "bool_parsing": "Valeur vraie ou fausse attendue.",
    "bool_type": "Valeur vraie ou fausse attendue.",
    "list_type": "Liste attendue.",
    "dict_type": "Objet attendu.",
    "model_type": "Objet attendu.",
    "model_attributes_type": "Objet attendu.",
    "too_long": "Trop d'éléments (au plus {max_length}).",
    "too_short": "Pas assez d'éléments (au moins {min_length}).",
    "datetime_parsing": "Date et heure au format RFC 3339 attendues.",
    "datetime_type": "Date et heure au format RFC 3339 attendues.",
    "url_parsing": "Adresse web invalide.",
    "value_error": "Valeur invalide.",
}
_FALLBACK = "Valeur invalide."


def french_message(error: dict) -> str:
    template = _FRENCH.get(error["type"], _FALLBACK)
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" (")[0].split(" :")[0].rstrip(".") + "."


def parse(model: type[M], data) -> M:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ValidationFailed(
            [
                {"loc": ["body", *[str(p) for p in err["loc"]]], "msg": french_message(err)}
                for err in exc.errors()
            ]
        ) from None
