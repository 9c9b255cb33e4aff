"""Screeners for the screening pool's tests, run in its worker processes
(`python -m services.moderation.screening_worker tests.unit.services.screening_factories:slow`)."""
import os

from services.moderation.screening import default_screener


class Slow:
    """The real screener, except on marker texts: an endless pure-Python
    loop (like the cubic detectors of issue 12), a crash, an error."""

    def __init__(self):
        self.real = default_screener()
        self.rules = self.real.rules

    def screen(self, text, **kwargs):
        if "BOUCLE" in text:
            n = 0
            while True:
                n += 1
        if "PLANTAGE" in text:
            os._exit(3)
        if "ERREUR" in text:
            raise ValueError(f"cannot read {text!r}")  # a message quoting the text: must not reach the logs
        return self.real.screen(text, **kwargs)


def slow() -> Slow:
    return Slow()


def broken():
    raise RuntimeError("the word list cannot be read")
