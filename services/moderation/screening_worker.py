"""A screening worker process (started by `screening_pool.ScreeningPool`).

Screening is pure Python: while it runs, the eventlet hub of the service
process cannot switch, so RPCs, timers and broker heartbeats would stop (and
eventlet's tpool does not help: the GIL is held). It runs here instead, in a
separate process, one text at a time: one JSON request a line on stdin, one
JSON answer a line on stdout. The pool kills a worker that overruns its
budget and starts another.

    python -m services.moderation.screening_worker [module:factory]
"""
import importlib
import json
import signal
import sys
import traceback
from datetime import datetime
from pathlib import Path

from services.moderation.spam import RecentWriting

DEFAULT_FACTORY = "services.moderation.screening:default_screener"


def die_with_parent() -> None:
    """The kernel ends this worker when the service process dies, even killed
    (stdin's end of file would not reach a worker busy on a text)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pool still kills overrunning workers


def load(factory_path: str):
    module, _, name = factory_path.partition(":")
    return getattr(importlib.import_module(module), name)()


def answer(screener, request: dict) -> dict:
    at = datetime.fromisoformat(request["at"]) if request.get("at") else None
    recent = [RecentWriting(t, f, c, datetime.fromisoformat(a)) for t, f, c, a in request.get("recent", [])]
    result = screener.screen(request["text"], target_id=request.get("target_id", ""),
                             created=request.get("created", True), at=at, recent=recent)
    return {"decision": result.decision, "reasons": list(result.reasons), "fingerprint": result.fingerprint,
            "excerpt": result.excerpt}


def where(error: Exception) -> str:
    """The error's type and the line it came from, never its message: a
    message may quote the text (an IBAN, a phone number), and this goes to
    the logs."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return f"{type(error).__name__}{place}"


def main(argv: list[str]) -> int:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on `make up` is for the service, which stops us
    screener = load(argv[1] if len(argv) > 1 else DEFAULT_FACTORY)
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            reply = answer(screener, json.loads(line))
        except Exception as error:  # noqa: BLE001 - reported to the pool, which holds the text for a person
            reply = {"error": where(error)}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
