"""Checks real answers against the OpenAPI document the gateway serves.

For the operation an answer comes from (method and path template), its
status must be declared, its media type must be the declared one, and a
JSON body must validate against the declared schema (JSON Schema 2020-12,
as OpenAPI 3.1 writes it). An answer from no operation (unknown path or
method) is left to the router's own tests.

The document tells clients that answers may carry more fields (API.md); the
check is stricter: every field of an answer must be named in the document,
so that it is complete. Problem documents stay open (RFC 9457 extensions).
"""
from __future__ import annotations

import json
import re
import copy
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

JSON_MEDIA_TYPES = ("application/json", "application/problem+json")
STREAMED_MEDIA_TYPES = ("text/event-stream",)
OPEN_SCHEMAS = ("Problem",)


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern
    responses: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass
class ResponseContract:
    document: dict[str, Any]
    seen: dict[str, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.operations = [
            Operation(method.upper(), template, _path_pattern(template), operation.get("responses", {}))
            for template, item in self.document.get("paths", {}).items()
            for method, operation in item.items()
        ]
        # A literal segment wins over a parameter (`/read-all` before `/{id}/read`).
        self.operations.sort(key=lambda op: op.template.count("{"))
        self.components = copy.deepcopy(self.document.get("components", {}))
        for name, schema in self.components.get("schemas", {}).items():
            if name not in OPEN_SCHEMAS and "properties" in schema and schema.get("additionalProperties") is True:
                schema["additionalProperties"] = False

    def operation(self, method: str, path: str) -> Operation | None:
        for candidate in self.operations:
            if candidate.method == method.upper() and candidate.pattern.fullmatch(path):
                return candidate
        return None

    def violations(self, method: str, path: str, status: int, content_type: str | None, body: bytes | None) -> list[str]:
        """What in this answer the document does not say; empty when it all matches.
        `body` is None for a streamed answer whose body is not read."""
        operation = self.operation(method, path)
        if operation is None:
            return []
        self.seen.setdefault(operation.name, set()).add(status)
        where = f"{operation.name} → {status}"
        declared = operation.responses.get(str(status)) or operation.responses.get("default")
        if declared is None:
            return [f"{where}: status not in the OpenAPI document (declared: {sorted(operation.responses)})"]
        content = declared.get("content") or {}
        media_type = (content_type or "").split(";")[0].strip().lower()
        if not content:
            if body:
                return [f"{where}: a body ({media_type}) where the document declares none"]
            return []
        if media_type not in content:
            return [f"{where}: media type {media_type!r}, the document declares {sorted(content)}"]
        schema = content[media_type].get("schema")
        if media_type not in JSON_MEDIA_TYPES or schema is None or body is None:
            return []
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"{where}: the body is not JSON"]
        validator = Draft202012Validator({**schema, "components": self.components})
        return [
            f"{where}: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
        ]

    def check(self, response) -> None:
        """Raise AssertionError when an httpx (or Starlette test) response breaks the document."""
        content_type = response.headers.get("content-type")
        streamed = (content_type or "").split(";")[0].strip() in STREAMED_MEDIA_TYPES
        if not streamed:
            response.read()
        request = response.request
        found = self.violations(request.method, request.url.path, response.status_code, content_type,
                                None if streamed else response.content)
        assert not found, "Response does not match the OpenAPI document:\n" + "\n".join(found)

    def unseen(self) -> list[str]:
        """Operations of the document no answer has come from yet."""
        return sorted(op.name for op in self.operations if op.name not in self.seen)


def _path_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))
