"""Screening time on hostile inputs, per detector: the detectors before issue
12 (bench/moderation/before_*.py, commit b27ffd7) and now.

    .venv/bin/python -m bench.moderation.screening

Now: each hostile input of bench/moderation/inputs.py at 20,000 characters
(the longest post), best of three runs. Before: the old code would take
minutes to hours at that size, so it is measured on shorter inputs, doubling
from 250 characters while a run takes under half a second; the last two
sizes give the growth (time ~ length^k) and the time at 20,000 characters
is extrapolated from them (marked ~). Prints a Markdown table.
"""
import hashlib
import math
import re
import time

from bench.moderation import before_abuse, before_personal_data
from bench.moderation.inputs import LIMIT, hostile_inputs
from services.moderation import personal_data, spam
from services.moderation.abuse import load_word_list
from services.moderation.screening import default_screener

START, CAP = 250, 0.5


def detectors():
    now_words, old_words = load_word_list(), before_abuse.load_word_list()
    return {
        "personal_data.iban": (before_personal_data.iban_spans, personal_data.iban_spans),
        "personal_data.email": (before_personal_data.email_spans, personal_data.email_spans),
        "personal_data.phone": (before_personal_data.phone_spans, personal_data.phone_spans),
        "personal_data.nir": (before_personal_data.nir_spans, personal_data.nir_spans),
        "abuse.word_list": (old_words.matches, now_words.matches),
        "spam.links": (spam.link_count, spam.link_count),  # unchanged: already linear
        "spam.duplicate": (old_fingerprint, spam.fingerprint),
    }


def old_fingerprint(text: str) -> str:
    """spam.fingerprint with the old fold (a loop over characters)."""
    return hashlib.sha256(" ".join(re.findall(r"[^\W_]+", before_abuse.fold(text))).encode()).hexdigest()


def timed(function, text: str, runs: int = 1) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - started)
    return best


def before(function, detector: str, name: str) -> str:
    """The old detector's time at 20,000 characters, measured or extrapolated."""
    sizes: list[tuple[int, float]] = []
    length = START
    while length <= LIMIT:
        text = personal_data.normalise_spaces(hostile_inputs(length)[detector][name])
        spent = timed(function, text, runs=1 if sizes and sizes[-1][1] > 0.05 else 3)
        sizes.append((length, spent))
        if spent > CAP:
            break
        length = LIMIT if length * 2 > LIMIT and length < LIMIT else length * 2
    last_length, last = sizes[-1]
    if last_length == LIMIT:
        return f"{last * 1000:,.1f} ms"
    (n1, t1), (n2, t2) = sizes[-2], sizes[-1]
    k = math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > t1 else 1.0
    estimate = t2 * (LIMIT / n2) ** k
    return f"~{format_seconds(estimate)} (n^{k:.1f}; {t2 * 1000:,.0f} ms at {n2:,})"


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:,.0f} ms"
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"


def main() -> None:
    pairs = detectors()
    screener = default_screener()
    print("| detector | hostile input (20,000 characters) | before | now | whole screening now |")
    print("|---|---|---|---|---|")
    for detector, texts in hostile_inputs().items():
        old, new = pairs[detector]
        for name, text in texts.items():
            now = timed(new, personal_data.normalise_spaces(text), runs=3)
            whole = timed(screener.screen, text, runs=3)
            print(f"| `{detector}` | {name} | {before(old, detector, name)} | {now * 1000:,.1f} ms | "
                  f"{whole * 1000:,.1f} ms |", flush=True)


if __name__ == "__main__":
    main()
