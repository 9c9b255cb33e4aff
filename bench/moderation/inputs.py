"""Hostile texts for each screening detector: what an attacker would post to
keep the moderation service busy (repeated prefixes, near misses, spelled
forms, mixed separators), each as long as a post may be (20,000 characters).

Used by the benchmark (`python -m bench.moderation.screening`) and by the
unit tests that bound the time of every detector
(tests/unit/services/test_moderation_hostile_input.py).
"""
LIMIT = 20_000  # the longest body a post may have


def fill(unit: str, length: int = LIMIT) -> str:
    """`unit` repeated up to exactly `length` characters."""
    return (unit * (length // len(unit) + 1))[:length]


def hostile_inputs(length: int = LIMIT) -> dict[str, dict[str, str]]:
    """Per detector, named hostile texts of `length` characters."""
    return {
        "personal_data.iban": {
            "unknown country, repeated prefix (AB12 …)": fill("AB12 ", length),
            "known country, repeated prefix (FR76 …)": fill("FR76 ", length),
            "near miss: right length, wrong checksum": fill("FR76 3000 6000 0112 3456 7890 188 ", length),
            "near miss: one character short": fill("FR7630006000011234567890 ", length),
            "one long run after a prefix": "FR76" + fill("3", length - 4),
            "mixed separators": fill("FR76-3000.6000 0112/3456 ", length),
            "lower case, no spaces, glued": fill("fr763000600001123456789018", length),
        },
        "personal_data.email": {
            "dots (a.a.a…)": fill("a.", length),
            "one long local part, no @": fill("a", length),
            "at signs (a@a@…)": fill("a@", length),
            "domain of endless labels": "a@" + fill("b.", length - 2),
            "near miss: no top-level domain": fill("camille@exemple. ", length),
            "spelled [at] and [dot], unfinished": fill("camille [at] exemple [dot] ", length),
            "spelled arobase then endless point": "camille arobase " + fill("exemple point ", length - 16),
            "spelled words only": fill("arobase point dot at ", length),
            "spelled: labels that read as separators": fill("a arobase " + "point " * 9, length),
            "spelled: long chains of [dot]": fill("a [at] " + "b [dot] " * 9, length),
            "local parts of 60 before labels": fill("x" * 60 + "@" + "b." * 9, length),
        },
        "personal_data.phone": {
            "zeros": fill("0", length),
            "06 repeated": fill("06 ", length),
            "near miss: one digit short": fill("06 12 34 56 7 ", length),
            "+33 prefixes": fill("+33 (0)", length),
            "mixed separators": fill("06.12-34/56 7", length),
        },
        "personal_data.nir": {
            "digits run": fill("1", length),
            "near miss: wrong key": fill("1 55 08 14 168 025 89 ", length),
            "Corsica prefixes": fill("1 55 08 2A ", length),
        },
        "abuse.word_list": {
            "spelled-out letters (c o n …)": fill("c o n ", length),
            "dotted letters (c.o.n.…)": fill("c.o.n.", length),
            "look-alike digits (a1 …)": fill("a1 ", length),
            "ones only (11 …)": fill("1a1 ", length),
            "one long word": fill("c", length),
            "repeated letters": fill("connnnnnnnnard ", length),
            "accents and invisible characters": fill("c\u00adô\u200bn ", length),
            "apostrophes and symbols": fill("c'@'$'!'", length),
        },
        "spam.links": {
            "dots (a.a.a…)": fill("a.", length),
            "www. repeated": fill("www.", length),
            "http:// repeated": fill("http://", length),
            "domains glued": fill("a.com.", length),
            "labels with dashes": fill("a-b.", length),
        },
        "spam.duplicate": {
            "words": fill("mot ", length),
            "accents": fill("é", length),
        },
    }
