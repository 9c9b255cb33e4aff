"""From the gateway's problem documents to what a form shows: one message
per field (tied to it with aria-describedby) and the list at the top."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# When the gateway sends no French detail, what a person is told.
STATUS_MESSAGES = {
    400: "La demande n'a pas pu être lue. Vérifiez ce que vous avez saisi.",
    401: "Votre session a pris fin. Reconnectez-vous pour continuer.",
    403: "Vous n'avez pas le droit de faire cela.",
    404: "Ce contenu n'existe pas ou n'est plus visible.",
    409: "Cette action a déjà été faite ou entre en conflit avec une autre.",
    413: "Le texte envoyé est trop long.",
    422: "Certains champs sont à corriger.",
    429: "Vous allez un peu vite. Patientez un instant puis réessayez.",
}
DEFAULT_MESSAGE = "Cette action n'a pas abouti. Réessayez dans un instant."


@dataclass
class FormErrors:
    summary: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)


def field_name(loc: list[Any], known: set[str] | None = None) -> str | None:
    """`["body", "details", "rome_code"]` → `rome_code` when the form has such
    a field, else the first named part after `body`/`query`."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    if not parts:
        return None
    if known:
        for part in reversed(parts):
            if part in known:
                return part
        return None
    return parts[0]


def form_errors(status: int, problem: dict[str, Any], known_fields: set[str] | None = None,
                renames: dict[str, str] | None = None) -> FormErrors:
    """What to show for a gateway error. `renames` maps API field names to the form's."""
    renames = renames or {}
    errors = FormErrors()
    leftovers: list[str] = []
    for item in problem.get("errors") or []:
        if not isinstance(item, dict):
            continue
        loc = [renames.get(str(p), p) for p in item.get("loc") or []]
        name = field_name(loc, known_fields)
        message = str(item.get("msg") or "Valeur invalide.")
        if name is not None:
            errors.add(name, message)
        else:
            leftovers.append(message)
    detail = problem.get("detail")
    if leftovers:
        errors.summary = " ".join(leftovers)
    elif isinstance(detail, str) and detail.strip() and status != 422:
        errors.summary = detail.strip()
    elif errors.fields:
        errors.summary = STATUS_MESSAGES[422]
    else:
        errors.summary = detail.strip() if isinstance(detail, str) and detail.strip() else STATUS_MESSAGES.get(status, DEFAULT_MESSAGE)
    return errors
