"""Spam rules, free of I/O: link floods, the same text again, posting floods.

The author's recent activity comes from the caller (a table kept from posts'
events); these functions only count.
"""
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.moderation.abuse import fold
from services.moderation.config import Thresholds

_LINK = re.compile(
    r"(?:\bhttps?://|\bwww\.)[^\s<>\"]+"
    r"|(?<![@\w.\-])(?:[a-z0-9\-]+\.)+(?:com|fr|net|org|io|ly|info|biz|xyz|me|co|eu|be|ch|shop|top|site|online|link|gl)\b(?:/[^\s<>\"]*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RecentWriting:
    """One post or comment the author wrote (or edited) recently."""

    target_id: str
    fingerprint: str
    created: bool
    at: datetime


def link_count(text: str) -> int:
    return len(_LINK.findall(text))


def fingerprint(text: str) -> str:
    """The same words give the same fingerprint, whatever the case, accents, spaces and punctuation."""
    words = re.findall(r"[^\W_]+", fold(text))
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def significant_length(text: str) -> int:
    return len(re.sub(r"[\W_]+", "", text))


def spam_reasons(
    text: str, target_id: str, created: bool, at: datetime, recent: list[RecentWriting], limits: Thresholds,
    mine: str | None = None,
) -> list[str]:
    """`recent`: the author's writing screened before this text, which may
    have been written a little after it (two posts sent at once, screened
    in the other order): each window reaches both sides of `at`.
    `mine`: the text's fingerprint, when the caller has it already."""
    reasons = []
    if link_count(text) > limits.links_max:
        reasons.append("spam.links")
    if significant_length(text) >= limits.duplicate_min_chars:
        window = timedelta(minutes=limits.duplicate_window_minutes)
        mine = mine or fingerprint(text)
        if any(w.fingerprint == mine and w.target_id != target_id and abs(w.at - at) <= window for w in recent):
            reasons.append("spam.duplicate")
    if created:
        window = timedelta(minutes=limits.flood_window_minutes)
        others = {w.target_id: w.at for w in recent if w.created and w.target_id != target_id
                  and abs(w.at - at) <= window}
        if len(others) + 1 > limits.flood_max_posts and (
                most_in_a_window([*others.values(), at], at, window) > limits.flood_max_posts):
            reasons.append("spam.flood")
    return reasons


def most_in_a_window(times: list[datetime], at: datetime, window: timedelta) -> int:
    """The most of `times` inside one window of this length that contains
    `at` (`times`: within a window of `at` on either side). In screening
    order, the writing is all before `at`: the window ending at `at`."""
    times = sorted(times)
    most, end = 0, 0
    for start, begins in enumerate(times):
        if begins > at:
            break
        while end < len(times) and times[end] <= begins + window:
            end += 1
        most = max(most, end - start)
    return most
