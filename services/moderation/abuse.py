"""Abusive language: a French word list matched on whole words after
normalisation, free of I/O (the list is read once by `load_word_list`).

Normalisation folds what people do to slip a word past a filter: case,
accents, look-alike characters (0→o, 1→i or l, 3→e, 4→a, 5→s, @→a, $→s,
!→i), letters repeated ("connnnard"), and letters spaced or dotted out
("c o n n a r d", "c.o.n"). Only whole words (or whole phrases of the list)
match, so ordinary words that merely contain a listed one ("concours",
"constitution", "Scunthorpe") never do.
"""
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

WORD_LIST_PATH = Path(__file__).resolve().parent / "data" / "french_abusive_words.txt"

# Look-alike characters, folded inside words only (a word holds at least one letter).
_SWAPS = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "€": "e"})
_ONE_READINGS = ("i", "l")  # "1" stands for either: both readings are tried
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# A word: letters, digits and the look-alike symbols, possibly joined by apostrophes.
_WORD = re.compile(r"[^\W_]+|[@$!€]", re.UNICODE)
# Letters spelled out one by one: "c o n n a r d", "c.o.n", "c-o-n", "c_o_n", "c*o*n".
_SPELLED_OUT = re.compile(r"(?<![^\W_])(?:[^\W_@$!]|[@$!])(?:[\s.\-_*·'’]{1,3}(?:[^\W_]|[@$!])(?![^\W_])){2,}")
_RUNS = re.compile(r"(.)\1+")
_LONG_RUN = re.compile(r"(.)\1\1")
_NOT_TOKEN = re.compile(r"[^0-9a-z@$!€]+")
# A trailing "!" is punctuation, not an "i": "salut!" stays "salut" (a token of "!" only stays).
_TRAILING_BANGS = re.compile(r"(?<=[^ !])!+(?= |$)")
# A word holds at least one letter: numbers are numbers, "2024" is not a word.
_LETTERED = re.compile(r"(?<![0-9a-z@$!€])[0-9@$!€]*[a-z][0-9a-z@$!€]*")


def fold(text: str) -> str:
    """Lower case, accents removed, invisible characters dropped."""
    text = unicodedata.normalize("NFKD", text.translate(_INVISIBLE).casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def _join_spelled_out(text: str) -> str:
    def join(match: re.Match) -> str:
        return re.sub(r"[\s.\-_*·'’]", "", match.group(0))

    return _SPELLED_OUT.sub(join, text)


def collapse(word: str) -> str:
    """Repeated letters counted once: "connnnard" and "connard" give "conard"."""
    return _RUNS.sub(r"\1", word)


def words(text: str) -> list[set[str]]:
    """The text as a sequence of words, each as the set of its readings
    (look-alikes folded, "1" read as i and as l). Whole-text operations
    only, then one short step per word: linear, and cheap per character."""
    cleaned = _TRAILING_BANGS.sub("", _NOT_TOKEN.sub(" ", _join_spelled_out(fold(text))))
    tokens = " ".join(_LETTERED.findall(cleaned)).translate(_SWAPS).split()
    return [{t} if "1" not in t else {t.replace("1", one) for one in _ONE_READINGS} for t in tokens]


@dataclass(frozen=True)
class WordList:
    """The list, normalised the way texts are: exact forms, and forms with
    repeated letters collapsed (used only when the text repeats a letter
    three times or more, so that "cône" never reads as "conne").

    `prefixes` holds every beginning of a phrase of either form, so that a
    text is read in one pass: a reading is followed further only while it
    still begins some phrase. The work per word is bounded by the list, not
    by the text: linear in the text, whatever the text."""

    exact: frozenset[tuple[str, ...]]
    collapsed: frozenset[tuple[str, ...]]
    longest: int
    prefixes: frozenset[tuple[str, ...]] = frozenset()
    vocabulary: frozenset[str] = frozenset()
    collapsed_vocabulary: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: list[str]) -> "WordList":
        exact, collapsed = set(), set()
        for entry in entries:
            phrase = tuple(sorted(w)[0] for w in words(entry))
            if phrase:
                exact.add(phrase)
                collapsed.add(tuple(collapse(w) for w in phrase))
        longest = max((len(p) for p in exact), default=1)
        prefixes = {phrase[:n] for phrase in exact | collapsed for n in range(1, len(phrase) + 1)}
        return cls(
            frozenset(exact), frozenset(collapsed), longest, frozenset(prefixes),
            frozenset(w for phrase in exact for w in phrase), frozenset(w for phrase in collapsed for w in phrase),
        )

    def matches(self, text: str) -> bool:
        seq = words(text)
        # Which readings of the text are words of the list at all (exact, or
        # with repeated letters collapsed): the rest breaks every phrase.
        distinct = list({reading for readings in seq for reading in readings})
        collapsed = _RUNS.sub(r"\1", " ".join(distinct)).split()
        known = {
            reading: (short, bool(_LONG_RUN.search(reading)))
            for reading, short in zip(distinct, collapsed)
            if reading in self.vocabulary or short in self.collapsed_vocabulary
        }
        if not known:
            return False
        for start, first in enumerate(seq):
            if known.keys().isdisjoint(first):
                continue
            # Partial readings of a phrase starting here: (exact, collapsed, a letter repeated 3 times).
            partial = [((), (), False)]
            for readings in seq[start : start + self.longest]:
                grown = []
                for exact, folded, long_run in partial:
                    for reading in readings:
                        if reading not in known:
                            continue
                        short, repeated = known[reading]
                        e, c, r = exact + (reading,), folded + (short,), long_run or repeated
                        if e in self.exact or (r and c in self.collapsed):
                            return True
                        if e in self.prefixes or c in self.prefixes:
                            grown.append((e, c, r))
                if not grown:
                    break
                partial = grown
        return False


def parse_word_list(text: str) -> list[str]:
    """One entry a line; `#` starts a comment line."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def load_word_list(path: Path = WORD_LIST_PATH) -> WordList:
    return WordList.of(parse_word_list(path.read_text(encoding="utf-8")))
