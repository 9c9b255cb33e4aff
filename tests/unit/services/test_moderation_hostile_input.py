"""Screening in bounded time (issue 12, item 1): every detector is linear in
the text, so a hostile post of the longest allowed size is screened in
milliseconds. Each figure is the best of three runs, so that a busy machine
does not make the test fail; the old detectors took from seconds to hours on
the same inputs (bench/moderation/screening.py, docs/benchmarks.md)."""
import time

import pytest

from bench.moderation.inputs import LIMIT, hostile_inputs
from services.moderation import personal_data, spam
from services.moderation.abuse import load_word_list
from services.moderation.screening import default_screener

WORDS = load_word_list()
DETECTORS = {
    "personal_data.iban": personal_data.iban_spans,
    "personal_data.email": personal_data.email_spans,
    "personal_data.phone": personal_data.phone_spans,
    "personal_data.nir": personal_data.nir_spans,
    "abuse.word_list": WORDS.matches,
    "spam.links": spam.link_count,
    "spam.duplicate": spam.fingerprint,
}
CASES = [(detector, name, text) for detector, texts in hostile_inputs().items() for name, text in texts.items()]


def best_of_three(function, text: str) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        function(text)
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_every_hostile_input_is_as_long_as_the_longest_post():
    assert CASES and all(len(text) == LIMIT for _, _, text in CASES)
    assert set(DETECTORS) == {detector for detector, _, _ in CASES}


@pytest.mark.parametrize(("detector", "name", "text"), CASES, ids=[f"{d}: {n}" for d, n, _ in CASES])
def test_each_detector_screens_a_hostile_input_in_under_50_ms(detector, name, text):
    spent = best_of_three(DETECTORS[detector], personal_data.normalise_spaces(text))
    assert spent < 0.050, f"{detector} took {spent * 1000:.1f} ms on {name!r}"


@pytest.mark.parametrize(("detector", "name", "text"), CASES, ids=[f"{d}: {n}" for d, n, _ in CASES])
def test_the_whole_screening_of_a_hostile_input_stays_well_under_a_second(detector, name, text):
    spent = best_of_three(default_screener().screen, text)
    assert spent < 0.200, f"screening took {spent * 1000:.1f} ms on {name!r}"


def test_the_post_of_the_issue_is_screened_at_once():
    """"AB12 " 800 times kept the service busy for 54 s."""
    assert best_of_three(default_screener().screen, "AB12 " * 800) < 0.050


def iban(country: str, bban: str) -> str:
    """A valid IBAN: the check digits computed as ISO 13616 says."""
    digits = "".join(str(int(c, 36)) for c in (bban + country + "00").upper())
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@pytest.mark.parametrize(
    ("country", "bban"),
    [("SN", "SN0100152000048500003035"), ("MA", "011519000001205000534921"), ("CI", "CI0080111301134291200589"),
     ("TN", "10006035183598478831"), ("DZ", "0021000100001234567800"), ("UA", "3052990000026007233566001")],
)
def test_ibans_of_countries_members_come_from_are_detected(country, bban):
    number = iban(country, bban)
    assert personal_data.is_valid_iban(number)
    assert personal_data.found(f"Mon compte {number} merci") == ["personal_data.iban"]
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert personal_data.found(f"Mon compte {grouped}.") == ["personal_data.iban"]


def test_an_iban_of_an_unknown_country_or_a_wrong_length_is_not_one():
    assert not personal_data.iban_spans(iban("ZZ", "30006000011234567890189"))
    assert not personal_data.iban_spans(iban("FR", "3000600001123456789018"))  # one character short
    assert not personal_data.iban_spans(iban("FR", "30006000011234567890189") + "7")  # one too many


def test_an_address_with_a_long_local_part_is_still_caught_and_masked():
    text = "écrivez à " + "x" * 100 + "@exemple.fr merci"
    assert personal_data.found(text) == ["personal_data.email"]
    assert "@exemple.fr" not in personal_data.mask(text)


@pytest.mark.parametrize(
    "text",
    ["camille [at] exemple [dot] fr", "camille (arobase) exemple (point) fr", "camille arobase exemple point fr",
     "camille [at] mail [dot] entreprise [dot] com", "Camille.Martin [AT] Exemple.FR"],
)
def test_spelled_out_addresses_are_still_caught(text):
    assert personal_data.found(f"contact : {text}, merci") == ["personal_data.email"]


def test_a_hostile_text_short_enough_to_be_screened_in_the_service_process_holds_it_little():
    """Texts up to SCREENING_IN_PROCESS_CHARS are screened in the service
    process, where nothing can interrupt them (issue 17): each hostile input
    cut to that length is screened in about a millisecond (1.2 ms at 1,000
    characters on the reference machine); 20 ms leaves room for a busy one."""
    from services.moderation.config import ModerationSettings

    length = ModerationSettings().screening_in_process_chars
    assert 0 < length <= 2_000  # past that, a hostile text would hold the event loop for milliseconds
    for detector, texts in hostile_inputs(length).items():
        for name, text in texts.items():
            spent = best_of_three(default_screener().screen, text)
            assert spent < 0.020, f"screening took {spent * 1000:.1f} ms on {name!r} ({length} characters)"
