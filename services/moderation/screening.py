"""Automatic screening rules, free of I/O.

Each rule returns the reason it fired for, never the matched text: the case
must not store the personal data it protects.
"""
import re
from dataclasses import dataclass

# 06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78, 0033 6..., +33 (0)6...
_FRENCH_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Screening:
    decision: str  # publish, hold or reject
    reasons: tuple[str, ...]


def personal_data_reasons(text: str) -> list[str]:
    reasons = []
    if _FRENCH_PHONE.search(text):
        reasons.append("personal_data.phone")
    if _EMAIL.search(text):
        reasons.append("personal_data.email")
    return reasons


def screen(title: str, body: str) -> Screening:
    """Personal data is held for a person to look at: the author may have
    exposed themselves by mistake, and an advisor can help them rephrase."""
    reasons = personal_data_reasons(f"{title}\n{body}")
    return Screening("hold" if reasons else "publish", tuple(reasons))
