"""Personal data detectors, free of I/O: French phone numbers, e-mail
addresses, French social security numbers (NIR) and IBANs.

Each detector returns the spans it found, so that a case's excerpt can mask
exactly them; screening reports only the rule's name, never the text.
Numbers with a control key (NIR, IBAN) are only reported when the key is
right: a reference or an order number that merely looks like one is not.
"""
import re
from collections.abc import Callable

Span = tuple[int, int]

_SEP = r"[\s.\-/]"
# 06 12 34 56 78, 06.12.34.56.78, 06-12-34-56-78, 06/12/34/56/78, 0612345678,
# 06 123 456 78, +33 6 12 34 56 78, +33 (0)6 12..., (+33) 6..., 0033 6...
_FRENCH_PHONE = re.compile(
    # Not a piece of a longer run of digit groups (a NIR, a SIRET, an account number).
    rf"(?<![\d+])(?<!\d{_SEP})(?:(?:\(\+33\)|\+33|0033){_SEP}?(?:\(0\){_SEP}?)?|0)[1-9](?:{_SEP}?\d){{8}}(?!{_SEP}?\d)"
)
# An address is found from its "@" (or spelled-out "at"): the domain is
# matched forwards and the local part backwards, each within the bounds of
# RFC 5321 (a local part of at most 64 characters, labels of at most 63, a
# handful of labels). Each "@" costs a bounded amount of work, so a whole
# text costs linear time; patterns with an unbounded local part started at
# every character and made "a." * 10000 take seconds.
_LOCAL_CHARS = re.compile(r"[A-Za-z0-9._%+\-]{1,64}")
_LABEL = r"[A-Za-z0-9\-]{1,63}"
_TLD = r"[A-Za-z]{2,24}"
_AT_DOMAIN = re.compile(rf"@{_LABEL}(?:\.{_LABEL}){{0,8}}\.{_TLD}")
# Spelled out to get past filters: "camille [at] exemple [dot] fr", "camille arobase exemple point fr".
_AT = r"(?:\s{0,3}[\[(]\s{0,3}(?:at|arobase)\s{0,3}[\])]\s{0,3}|\s{1,3}arobase\s{1,3})"
_DOT = r"(?:\s{0,3}[\[(]\s{0,3}(?:dot|point)\s{0,3}[\])]\s{0,3}|\s{1,3}(?:point|dot)\s{1,3}|\.)"
_SPELLED_AT_DOMAIN = re.compile(rf"{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,8}}?{_DOT}{_TLD}\b", re.IGNORECASE)
# NIR: sex, year, month, department (2A/2B for Corsica), commune, order, key.
_NIR = re.compile(
    r"(?<![\dA-Za-z])([1-478])[\s.\-]?(\d{2})[\s.\-]?(\d{2})[\s.\-]?(\d{2}|2[AaBb])[\s.\-]?(\d{3})[\s.\-]?(\d{3})"
    r"[\s.\-]?(\d{2})(?![\dA-Za-z])"
)
# IBAN: a country code, two check digits, then letters and digits, usually
# in groups of four. An IBAN has a fixed length per country (at most 34), so a
# candidate is one bounded match at each start, never a search over lengths.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})")
# Lengths from the IBAN registry (ISO 13616, SWIFT's registry), and the
# countries of the West and Central African monetary unions, Morocco,
# Algeria, Madagascar, the Comoros, Angola, Cape Verde and Mozambique, whose
# banks issue IBANs outside the registry and whose people live in France.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    # outside the registry
    "BJ": 28, "BF": 28, "CI": 28, "ML": 28, "NE": 28, "SN": 28, "TG": 28,
    "CM": 27, "CF": 27, "CG": 27, "GA": 27, "GQ": 27, "TD": 27,
    "MA": 28, "DZ": 26, "MG": 27, "KM": 27, "AO": 25, "CV": 25, "MZ": 25,
}
# The rest of an IBAN of a given length: letters and digits, a single space
# allowed before each, and no letter or digit right after it.
_IBAN_BODIES = {
    length: re.compile(rf"(?: ?[A-Za-z0-9]){{{length - 4}}}(?![^\W_])") for length in set(IBAN_LENGTHS.values())
}
# ISO 13616's letters as numbers: A = 10 ... Z = 35.
_IBAN_LETTERS = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


def phone_spans(text: str) -> list[Span]:
    return [m.span() for m in _FRENCH_PHONE.finditer(text)]


def _local_part_start(text: str, at: int) -> int | None:
    """Where the local part ending at `at` starts (at most 64 characters back), if there is one."""
    local = _LOCAL_CHARS.match(text[max(0, at - 64) : at][::-1])
    return at - local.end() if local else None


def email_spans(text: str) -> list[Span]:
    spans = []
    for pattern in (_AT_DOMAIN, _SPELLED_AT_DOMAIN):
        for match in pattern.finditer(text):
            start = _local_part_start(text, match.start())
            if start is not None:
                spans.append((start, match.end()))
    return spans


_CORSICA = {"2A": "19", "2B": "18"}


def nir_key(number: str) -> int:
    """The control key of a NIR's first 13 characters (Corsica: 2A → 19, 2B → 18)."""
    department = number[5:7].upper()
    digits = number[:5] + _CORSICA.get(department, department) + number[7:]
    return 97 - int(digits) % 97


def is_valid_nir(number: str) -> bool:
    """13 characters and a 2-digit key, separators removed."""
    number = re.sub(r"[\s.\-]", "", number)
    if len(number) != 15 or not number[13:].isdigit():
        return False
    try:
        return nir_key(number[:13]) == int(number[13:])
    except ValueError:
        return False


def nir_spans(text: str) -> list[Span]:
    return [m.span() for m in _NIR.finditer(text) if is_valid_nir(m.group(0))]


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    rearranged = (iban[4:] + iban[:4]).upper().translate(_IBAN_LETTERS)
    return rearranged.isdigit() and int(rearranged) % 97 == 1


def is_valid_iban(text: str) -> bool:
    iban = re.sub(r"\s", "", text).upper()
    return (
        IBAN_LENGTHS.get(iban[:2]) == len(iban) and iban[2:4].isdigit() and iban[4:].isalnum()
        and iban.isascii() and iban_checksum_ok(iban)
    )


def iban_spans(text: str) -> list[Span]:
    """From each start (two letters, two digits) of a known country, exactly
    the country's length in letters and digits, single spaces allowed
    ("FR76 3000 ... 189 merci"), ending where a word ends, with a right
    checksum. Bounded work per start: linear in the text."""
    spans = []
    position = 0
    while match := _IBAN_START.search(text, position):
        length = IBAN_LENGTHS.get(match.group(1).upper())
        body = _IBAN_BODIES[length].match(text, match.end()) if length else None
        if body and iban_checksum_ok(match.group(1) + match.group(2) + body.group(0).replace(" ", "")):
            spans.append((match.start(), body.end()))
            position = body.end()
        else:
            position = match.start() + 1
    return spans


DETECTORS: dict[str, Callable[[str], list[Span]]] = {
    "personal_data.phone": phone_spans,
    "personal_data.email": email_spans,
    "personal_data.nir": nir_spans,
    "personal_data.iban": iban_spans,
}


def normalise_spaces(text: str) -> str:
    """Every run of spaces of any kind (no-break, narrow no-break...) as one plain space."""
    return re.sub(r"[^\S\n]+", " ", text)


def found(text: str) -> list[str]:
    """The personal-data rules that fire on `text`, in a stable order."""
    text = normalise_spaces(text)
    return [rule for rule, detect in DETECTORS.items() if detect(text)]


def mask(text: str, replacement: str = "[masqué]") -> str:
    """`text` with every personal data span replaced by `replacement` (the
    excerpts moderators read show that a number or address was there, not what)."""
    text = normalise_spaces(text)
    spans = sorted(span for detect in DETECTORS.values() for span in detect(text))
    out, last = [], 0
    for start, end in spans:
        if start < last:
            if end > last:
                last = end
            continue
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)
