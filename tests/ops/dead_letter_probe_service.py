"""A nameko service for the dead-letter tool's test: its handler fails while
the file named by PROBE_FAIL_FLAG exists, and appends the event id of every
event it handles to PROBE_HANDLED_FILE."""
import os
from pathlib import Path

from nameko.rpc import rpc

from shared.messaging.consumer import event_handler

SOURCE = "opsprobe"
EVENT = "thing_happened"


class DeadLetterProbe:
    name = "dlprobe"

    @event_handler(SOURCE, EVENT)
    def on_thing_happened(self, body):
        if Path(os.environ["PROBE_FAIL_FLAG"]).exists():
            raise RuntimeError("probe told to fail")
        with open(os.environ["PROBE_HANDLED_FILE"], "a") as handled:
            handled.write(body["event_id"] + "\n")

    @rpc
    def ping(self):
        return "pong"
