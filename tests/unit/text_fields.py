"""Finds text that no text-hygiene check guards, in a type or a model."""
from typing import Annotated, Literal, get_args, get_origin

from pydantic import BaseModel

from shared.api.text import CleanText


def unchecked_text(annotation, metadata=(), where: str = "") -> list[str]:
    """Where `annotation` holds a `str` that no CleanText guards."""
    if annotation is str:
        return [] if any(isinstance(m, CleanText) for m in metadata) else [where]
    if get_origin(annotation) is Annotated:
        base, *more = get_args(annotation)
        return unchecked_text(base, (*metadata, *more), where)
    if get_origin(annotation) is Literal:
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            found
            for name, field in annotation.model_fields.items()
            for found in unchecked_text(field.annotation, field.metadata, f"{annotation.__name__}.{name}")
        ]
    return [found for arg in get_args(annotation) for found in unchecked_text(arg, (), where)]
