"""Automatic screening, free of I/O: every rule run on a text, then the
configured decision (rules.yaml).

The result names the rules that fired, never the matched text: a case must not
store the personal data it protects.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from services.moderation import domain, personal_data, spam
from services.moderation.abuse import WordList, load_word_list
from services.moderation.config import Rules, load_rules


# Screening did not finish (over its time budget, or its worker died): the
# text waits for a person, whatever the rules say.
UNFINISHED = "screening.unfinished"
UNSCREENED_EXCERPT = "[texte non analysé automatiquement : à lire en entier]"


@dataclass(frozen=True)
class Screening:
    decision: str  # publish, hold or reject
    reasons: tuple[str, ...]
    # What the service keeps of the text: its fingerprint (spam.duplicate) and
    # the queue's excerpt, personal data masked; made with the screening, off
    # the service's event loop.
    fingerprint: str = field(default="", compare=False)
    excerpt: str = field(default="", compare=False)

    @classmethod
    def unfinished(cls, text: str) -> "Screening":
        """Held for a person. Nothing of the text is analysed again here (the
        excerpt could not be masked): a raw hash, and a placeholder excerpt."""
        return cls("hold", (UNFINISHED,), hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
                   UNSCREENED_EXCERPT)


@dataclass(frozen=True)
class Screener:
    rules: Rules
    words: WordList

    def screen(
        self, text: str, *, target_id: str = "", created: bool = True, at: datetime | None = None,
        recent: list[spam.RecentWriting] = (),
    ) -> Screening:
        fired = personal_data.found(text)
        if self.words.matches(text):
            fired.append("abuse.word_list")
        mine = spam.fingerprint(text)  # once: the duplicate rule and the result both need it
        if at is not None:
            fired += spam.spam_reasons(text, target_id, created, at, list(recent), self.rules.thresholds, mine)
        else:
            fired += ["spam.links"] if spam.link_count(text) > self.rules.thresholds.links_max else []
        decision, reasons = self.rules.decide(fired)
        return Screening(decision, reasons, mine, domain.excerpt(text))


@lru_cache
def default_screener() -> Screener:
    """The rules file and the word list, read once per process."""
    return Screener(load_rules(), load_word_list())


def personal_data_reasons(text: str) -> list[str]:
    return personal_data.found(text)


def screen(title: str, body: str) -> Screening:
    """A text alone, without the author's history (no duplicate or flood rule)."""
    return default_screener().screen(f"{title}\n{body}")
