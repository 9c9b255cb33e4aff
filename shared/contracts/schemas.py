"""JSON Schema export of the event contracts, published for the data team.

`python -m shared.contracts.schemas` writes one file per type and version into
docs/events/schemas/. tests/contract/test_event_schemas.py fails when a model's
schema differs from its published file: a change needs a new version.
"""
import json
import sys
from pathlib import Path

from shared.contracts import ALL_EVENTS, Envelope, EventPayload
from shared.settings import REPO_ROOT

SCHEMA_DIR = REPO_ROOT / "docs/events/schemas"


def schema_file_name(cls: type[EventPayload]) -> str:
    return f"{cls.event_type}.v{cls.version}.json"


def schema_of(cls: type[EventPayload]) -> dict:
    payload = cls.model_json_schema(mode="serialization")
    envelope = Envelope.model_json_schema(mode="serialization")
    envelope["title"] = f"{cls.event_type} v{cls.version}"
    envelope["$id"] = f"urn:platform:event:{cls.event_type}:v{cls.version}"
    envelope["description"] = (cls.__doc__ or "").strip() or cls.event_type
    envelope["properties"]["event_type"] = {"const": cls.event_type}
    envelope["properties"]["version"] = {"const": cls.version}
    envelope["properties"]["payload"] = payload
    return envelope


def render(cls: type[EventPayload]) -> str:
    return json.dumps(schema_of(cls), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def problems(events=ALL_EVENTS, directory: Path = SCHEMA_DIR) -> list[str]:
    """What differs between the contracts and their published schemas."""
    found = []
    seen = set()
    for cls in events:
        key = (cls.event_type, cls.version)
        if key in seen:
            found.append(f"{cls.event_type} v{cls.version} is defined twice")
        seen.add(key)
        path = directory / schema_file_name(cls)
        if not path.exists():
            found.append(f"{path.name} is not published: run `python -m shared.contracts.schemas`")
        elif path.read_text() != render(cls):
            found.append(
                f"{cls.__name__} changed but {path.name} is published: a change needs a new version "
                "(additive changes too: bump the version and publish the new schema)"
            )
    return found


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cls in ALL_EVENTS:
        path = directory / schema_file_name(cls)
        if path.exists() and path.read_text() != render(cls):
            raise SystemExit(
                f"{path.name} is published and differs: bump {cls.__name__}.version instead of editing it"
            )
        path.write_text(render(cls))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(p)
