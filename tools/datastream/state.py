"""Where an export stopped: the next offset to read and what was written, saved atomically.

An export writes its output, makes it durable (fsync), then saves the state;
on resume it cuts the output back to what the state says was written. So a
crash between the two never leaves a gap (the offset is saved after the
data) nor a double (data written after the last saved state is cut away).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ExportState:
    format: str
    output: str
    range_from: str | None
    range_to: str | None
    next_offset: int | None = None   # None: nothing read yet
    written_bytes: int = 0           # JSON Lines: the output's durable length
    parts: list[str] = field(default_factory=list)  # Parquet: the finished part files
    exported: int = 0                # messages written so far

    def same_export(self, other: "ExportState") -> bool:
        return (self.format, self.output, self.range_from, self.range_to) == (
            other.format, other.output, other.range_from, other.range_to)


def load(path: Path) -> ExportState | None:
    if not path.exists():
        return None
    return ExportState(**json.loads(path.read_text()))


def save(path: Path, state: ExportState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(path.name + ".tmp")
    with open(draft, "w") as f:
        json.dump(asdict(state), f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(draft, path)
