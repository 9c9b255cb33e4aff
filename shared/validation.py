"""Validate RPC input with pydantic models, answering ValidationFailed (422)."""
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# pydantic's English messages for the common cases, in French for users.
_FRENCH = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ non autorisé.",
    "string_too_short": "Texte trop court.",
    "string_too_long": "Texte trop long.",
    "literal_error": "Valeur non autorisée.",
    "enum": "Valeur non autorisée.",
}


def parse(model: type[M], data) -> M:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ValidationFailed(
            [
                {"loc": ["body", *[str(p) for p in err["loc"]]], "msg": _FRENCH.get(err["type"], err["msg"])}
                for err in exc.errors()
            ]
        ) from None
