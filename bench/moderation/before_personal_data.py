"""The personal-data detectors as they were before issue 12 (commit b27ffd7),
kept only so that the benchmark can measure them: do not use."""
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
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Spelled out to get past filters: "camille [at] exemple [dot] fr", "camille arobase exemple point fr".
_AT = r"(?:\s*[\[(]\s*(?:at|arobase)\s*[\])]\s*|\s+arobase\s+)"
_DOT = r"(?:\s*[\[(]\s*(?:dot|point)\s*[\])]\s*|\s+(?:point|dot)\s+|\.)"
_EMAIL_SPELLED = re.compile(
    rf"\b[A-Za-z0-9._%+\-]+{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*?{_DOT}[A-Za-z]{{2,}}\b", re.IGNORECASE
)
# NIR: sex, year, month, department (2A/2B for Corsica), commune, order, key.
_NIR = re.compile(
    r"(?<![\dA-Za-z])([1-478])[\s.\-]?(\d{2})[\s.\-]?(\d{2})[\s.\-]?(\d{2}|2[AaBb])[\s.\-]?(\d{3})[\s.\-]?(\d{3})"
    r"[\s.\-]?(\d{2})(?![\dA-Za-z])"
)
# IBAN: a country code, two check digits, then letters and digits, usually in groups of four.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})")
_IBAN_REST = re.compile(r"(?: ?[A-Za-z0-9])+")
# Lengths from the IBAN registry (ISO 13616) for the countries members are most likely to write.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "MA": 28, "TN": 24, "DZ": 26, "SN": 28, "CI": 28,
}


def phone_spans(text: str) -> list[Span]:
    return [m.span() for m in _FRENCH_PHONE.finditer(text)]


def email_spans(text: str) -> list[Span]:
    return [m.span() for m in _EMAIL.finditer(text)] + [m.span() for m in _EMAIL_SPELLED.finditer(text)]


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
    rearranged = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def is_valid_iban(text: str) -> bool:
    iban = re.sub(r"\s", "", text).upper()
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    return 15 <= len(iban) <= 34 and iban[2:4].isdigit() and iban_checksum_ok(iban)


def iban_spans(text: str) -> list[Span]:
    """Candidates run as far as letters and digits go (single spaces allowed);
    the longest prefix that is a valid IBAN wins, so "FR76 ... merci" works."""
    spans = []
    position = 0
    while match := _IBAN_START.search(text, position):
        rest = _IBAN_REST.match(text, match.end())
        end = rest.end() if rest else match.end()
        found = None
        for stop in range(end, match.end(), -1):
            if not text[stop - 1].isspace() and is_valid_iban(text[match.start() : stop]):
                if stop == len(text) or not text[stop].isalnum():
                    found = (match.start(), stop)
                    break
        if found:
            spans.append(found)
            position = found[1]
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


def mask(text: str, placeholder: str = "[masqué]") -> str:
    """`text` with every personal data span replaced by `placeholder`."""
    text = normalise_spaces(text)
    spans = sorted(span for detect in DETECTORS.values() for span in detect(text))
    out, last = [], 0
    for start, end in spans:
        if start < last:
            if end > last:
                last = end
            continue
        out.append(text[last:start])
        out.append(placeholder)
        last = end
    out.append(text[last:])
    return "".join(out)
