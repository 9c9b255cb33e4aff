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
    """`mine`: the text's fingerprint, when the caller has it already."""
    reasons = []
    if link_count(text) > limits.links_max:
        reasons.append("spam.links")
    if significant_length(text) >= limits.duplicate_min_chars:
        since = at - timedelta(minutes=limits.duplicate_window_minutes)
        mine = mine or fingerprint(text)
        if any(w.fingerprint == mine and w.target_id != target_id and since <= w.at <= at for w in recent):
            reasons.append("spam.duplicate")
    if created:
        since = at - timedelta(minutes=limits.flood_window_minutes)
        earlier = {w.target_id for w in recent if w.created and w.target_id != target_id and since <= w.at <= at}
        if len(earlier) + 1 > limits.flood_max_posts:
            reasons.append("spam.flood")
    return reasons
