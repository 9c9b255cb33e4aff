"""JSON Schemas of the stream messages, published for the data team.

`python -m services.analytics.stream_schemas` writes one file per event type
and version into docs/stream/schemas/ (`<event_type>.v<version>.json`).
tests/unit/services/test_analytics_stream.py fails when a model's schema
differs from its published file.
"""
import json
import sys
from pathlib import Path

from services.analytics.stream import STREAM_VERSION, stream_models
from shared.settings import REPO_ROOT

SCHEMA_DIR = REPO_ROOT / "docs/stream/schemas"


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def schema_of(event_type: str, version: int) -> dict:
    schema = stream_models()[(event_type, version)].model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:platform:analytics-stream:{event_type}:v{version}:format{STREAM_VERSION}"
    schema["title"] = f"{event_type} v{version} (analytics stream, format {STREAM_VERSION})"
    return schema


def render(event_type: str, version: int) -> str:
    return json.dumps(schema_of(event_type, version), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def problems(directory: Path = SCHEMA_DIR) -> list[str]:
    found = []
    expected = {file_name(t, v) for t, v in stream_models()}
    for event_type, version in stream_models():
        path = directory / file_name(event_type, version)
        if not path.exists():
            found.append(f"{path.name} is not published: run `python -m services.analytics.stream_schemas`")
        elif path.read_text() != render(event_type, version):
            found.append(f"{path.name} differs from its model: run `python -m services.analytics.stream_schemas`")
    for path in directory.glob("*.json"):
        if path.name not in expected:
            found.append(f"{path.name} is published but no contract has this type and version")
    return found


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, version in sorted(stream_models()):
        path = directory / file_name(event_type, version)
        path.write_text(render(event_type, version))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(p)
