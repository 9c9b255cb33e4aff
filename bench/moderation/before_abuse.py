"""The abusive-language matcher as it was before issue 12 (commit b27ffd7),
kept only so that the benchmark can measure it: do not use."""
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from services.moderation.abuse import WORD_LIST_PATH  # noqa: E402,F401 - the same list

# Look-alike characters, folded inside words only (a word holds at least one letter).
_SWAPS = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "€": "e"})
_ONE_READINGS = ("i", "l")  # "1" stands for either: both readings are tried
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# A word: letters, digits and the look-alike symbols, possibly joined by apostrophes.
_WORD = re.compile(r"[^\W_]+|[@$!€]", re.UNICODE)
_TOKEN = re.compile(r"[0-9a-z@$!€]+")
# Letters spelled out one by one: "c o n n a r d", "c.o.n", "c-o-n", "c_o_n", "c*o*n".
_SPELLED_OUT = re.compile(r"(?<![^\W_])(?:[^\W_@$!]|[@$!])(?:[\s.\-_*·'’]{1,3}(?:[^\W_]|[@$!])(?![^\W_])){2,}")
_RUNS = re.compile(r"(.)\1+")
_LONG_RUN = re.compile(r"(.)\1\1")


def fold(text: str) -> str:
    """Lower case, accents removed, invisible characters dropped."""
    text = unicodedata.normalize("NFKD", text.translate(_INVISIBLE).casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def _join_spelled_out(text: str) -> str:
    def join(match: re.Match) -> str:
        return re.sub(r"[\s.\-_*·'’]", "", match.group(0))

    return _SPELLED_OUT.sub(join, text)


def _readings(token: str) -> set[str]:
    """Every way to read a token: look-alikes folded, "1" as i and as l."""
    if not re.search(r"[a-z]", token):
        return set()  # numbers are numbers: "2024" is not a word
    token = token.translate(_SWAPS)
    return {token.replace("1", one) for one in _ONE_READINGS}


def collapse(word: str) -> str:
    """Repeated letters counted once: "connnnard" and "connard" give "conard"."""
    return _RUNS.sub(r"\1", word)


def words(text: str) -> list[set[str]]:
    """The text as a sequence of words, each as the set of its readings."""
    folded = _join_spelled_out(fold(text))
    result = []
    for token in _TOKEN.findall(re.sub(r"[^0-9a-z@$!€]+", " ", folded)):
        # A trailing "!" is punctuation, not an "i": "salut!" stays "salut".
        stripped = token.rstrip("!") or token
        readings = _readings(stripped) | ({stripped} if stripped.isalpha() else set())
        if readings:
            result.append(readings)
    return result


@dataclass(frozen=True)
class WordList:
    """The list, normalised the way texts are: exact forms, and forms with
    repeated letters collapsed (used only when the text repeats a letter
    three times or more, so that "cône" never reads as "conne")."""

    exact: frozenset[tuple[str, ...]]
    collapsed: frozenset[tuple[str, ...]]
    longest: int

    @classmethod
    def of(cls, entries: list[str]) -> "WordList":
        exact, collapsed = set(), set()
        for entry in entries:
            phrase = tuple(sorted(w)[0] for w in words(entry))
            if phrase:
                exact.add(phrase)
                collapsed.add(tuple(collapse(w) for w in phrase))
        longest = max((len(p) for p in exact), default=1)
        return cls(frozenset(exact), frozenset(collapsed), longest)

    def matches(self, text: str) -> bool:
        seq = words(text)
        for start in range(len(seq)):
            for length in range(1, min(self.longest, len(seq) - start) + 1):
                if self._phrase_matches(seq[start : start + length]):
                    return True
        return False

    def _phrase_matches(self, phrase: list[set[str]]) -> bool:
        candidates = [()]
        for readings in phrase:
            candidates = [c + (r,) for c in candidates for r in readings]
        for candidate in candidates:
            if candidate in self.exact:
                return True
            if any(_LONG_RUN.search(w) for w in candidate) and tuple(map(collapse, candidate)) in self.collapsed:
                return True
        return False


def parse_word_list(text: str) -> list[str]:
    """One entry a line; `#` starts a comment line."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def load_word_list(path: Path = WORD_LIST_PATH) -> WordList:
    return WordList.of(parse_word_list(path.read_text(encoding="utf-8")))
