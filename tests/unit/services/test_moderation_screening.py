"""Automatic screening: personal data is caught, ordinary numbers are not."""
import pytest

from services.moderation import screening

PHONES = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "+33 6 12 34 56 78",
    "+33612345678",
    "+33 (0)6 12 34 56 78",
    "0033 6 12 34 56 78",
    "01 42 00 00 00",
    "06\u00a012\u00a034\u00a056\u00a078",  # no-break spaces, as word processors write them
    "06\u202f12\u202f34\u202f56\u202f78",
]


@pytest.mark.parametrize("phone", PHONES)
def test_french_phone_numbers_are_detected(phone):
    assert screening.personal_data_reasons(f"Appelez-moi au {phone} après 18h") == ["personal_data.phone"]


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "0612345678"])
def test_phone_at_the_very_start_or_end_is_detected(phone):
    assert screening.personal_data_reasons(phone) == ["personal_data.phone"]
    assert screening.personal_data_reasons(f"tel:{phone}.") == ["personal_data.phone"]


@pytest.mark.parametrize("email", ["camille.martin@exemple.fr", "c.m+forum@mail.entreprise.com", "RH@Exemple.FR"])
def test_email_addresses_are_detected(email):
    assert screening.personal_data_reasons(f"Écrivez à {email} !") == ["personal_data.email"]


def test_phone_and_email_together_give_both_reasons():
    assert screening.personal_data_reasons("06 12 34 56 78 ou camille@exemple.fr") == [
        "personal_data.phone", "personal_data.email",
    ]


ORDINARY = [
    "Salaire de 1 200 € net par mois",
    "Un loyer de 1 200,00 € et 2 300 € de caution",
    "Entre 2024 2025 j'ai passé mon permis",
    "Campagnes 2019 2020 2021 2022 2023",
    "SIRET 123 456 789 00012",
    "SIRET 12345678900012",
    "L'agence est au 75011 Paris",
    "Rendez-vous à 9h30 ou 14 h 00",
    "Formation CACES R489 catégories 1A 3 5",
    "Code ROME N1101",
    "Réunion le 12/03/2025 à 10:30",
    "Il y a 10 20 30 40 50 candidats",
    "Version 1.2.3.4.5 du logiciel",
    "Mon adresse est 12 rue de la Paix",
    "J'ai envoyé 3 @ la fois",
    "Commande n°990612345678",  # a phone-like tail inside a longer number
    "Code-barres EAN 0612345678905",  # a phone-like head of a longer number
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_and_words_are_not_personal_data(text):
    assert screening.personal_data_reasons(text) == []


def test_clean_post_is_published():
    assert screening.screen("Devenir cariste", "Par où commencer ? J'ai 35 ans.") == screening.Screening("publish", ())


def test_personal_data_in_title_or_body_holds_the_post():
    assert screening.screen("Appelez le 06 12 34 56 78", "Merci").decision == "hold"
    assert screening.screen("Merci", "écrivez à camille@exemple.fr") == screening.Screening(
        "hold", ("personal_data.email",)
    )


# ---------------------------------------------------------------- more phone spellings


@pytest.mark.parametrize("phone", ["06/12/34/56/78", "06 123 456 78", "(+33) 6 12 34 56 78", "+33-6-12-34-56-78",
                                   "06  12  34  56  78"])
def test_more_usual_phone_spellings_are_detected(phone):
    assert screening.personal_data_reasons(f"Mon portable : {phone}") == ["personal_data.phone"]


def test_a_social_security_number_is_not_also_read_as_a_phone():
    assert screening.personal_data_reasons("NIR 1 55 08 14 168 025 88") == ["personal_data.nir"]


# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize("spelled", ["camille [at] exemple [dot] fr", "camille (at) exemple.fr",
                                     "camille arobase exemple point fr", "camille [arobase] exemple [point] com"])
def test_email_addresses_spelled_out_are_detected(spelled):
    assert screening.personal_data_reasons(f"Contact : {spelled}") == ["personal_data.email"]


@pytest.mark.parametrize("text", ["Rendez-vous at home, point final", "Le @ ne suffit pas", "Je suis à l'agence @ 14h",
                                  "un point, c'est tout"])
def test_texts_that_only_look_like_addresses_are_not_emails(text):
    assert "personal_data.email" not in screening.personal_data_reasons(text)


# ---------------------------------------------------------------- NIR (numéro de sécurité sociale)

# Keys computed by hand: 97 - (13 digits mod 97); Corsica 2A counts as 19, 2B as 18.
NIRS = [
    "1 55 08 14 168 025 88",
    "155081416802588",
    "2 69 04 99 350 012 82",
    "1.85.05.78.006.084.91",
    "1 85 05 2A 123 456 33",
    "2 85 02 2B 045 123 16",
    "285022b04512316",
]


@pytest.mark.parametrize("nir", NIRS)
def test_social_security_numbers_with_a_right_key_are_detected(nir):
    assert screening.personal_data_reasons(f"Mon numéro de sécu est {nir}.") == ["personal_data.nir"]


@pytest.mark.parametrize(
    "text",
    [
        "NIR 1 55 08 14 168 025 87",  # wrong key
        "1 85 05 2A 123 456 34",  # wrong key for Corsica
        "1 85 05 2A 123 456 91",  # the key 2A would have if read as digits "2A"→nothing
        "Référence 555081416802588",  # first digit is not a sex code
        "Commande 1550814168025889",  # 16 digits: part of a longer number
    ],
)
def test_numbers_that_fail_the_nir_key_are_not_reported(text):
    assert "personal_data.nir" not in screening.personal_data_reasons(text)


def test_nir_key_follows_the_official_formula():
    from services.moderation.personal_data import nir_key

    assert nir_key("1550814168025") == 97 - 1550814168025 % 97
    assert nir_key("185052A123456") == 97 - 1850519123456 % 97
    assert nir_key("285022B045123") == 97 - 2850218045123 % 97


# ---------------------------------------------------------------- IBAN

IBANS = [
    "FR76 3000 6000 0112 3456 7890 189",
    "FR7630006000011234567890189",
    "fr76 3000 6000 0112 3456 7890 189",
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "BE68539007547034",
]


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_with_a_right_checksum_are_detected(iban):
    assert screening.personal_data_reasons(f"Virez sur {iban} merci") == ["personal_data.iban"]


@pytest.mark.parametrize(
    "text",
    [
        "FR76 3000 6000 0112 3456 7890 188",  # checksum off by one
        "DE89 3704 0044 0532 0130 01",
        "FR76 3000 6000 0112 3456 789",  # too short for France
        "Le modèle AB12 CDEF GHIJ KLMN est en stock",
        "Formation CACES R489 et FIMO",
    ],
)
def test_texts_failing_the_iban_checksum_are_not_reported(text):
    assert "personal_data.iban" not in screening.personal_data_reasons(text)


def test_excerpt_masks_every_kind_of_personal_data():
    from services.moderation.domain import excerpt

    text = ("Tel 06 12 34 56 78, mail camille@exemple.fr, sécu 1 55 08 14 168 025 88, "
            "IBAN FR76 3000 6000 0112 3456 7890 189, ok")
    masked = excerpt(text)
    for secret in ("06 12", "camille", "168 025", "FR76", "3000 6000"):
        assert secret not in masked
    assert masked.count("[masqué]") == 4 and masked.endswith(", ok")


def test_a_text_is_fingerprinted_once_per_screening(monkeypatch):
    """The duplicate rule and the result share one fingerprint (folding and
    hashing the text twice was an eighth of screening a post; issue 17)."""
    from datetime import datetime, timezone

    from services.moderation import spam
    from services.moderation.screening import default_screener

    calls = []
    real = spam.fingerprint
    monkeypatch.setattr(spam, "fingerprint", lambda text: calls.append(text) or real(text))
    text = "Je partage mes démarches de la semaine et je cherche des conseils pour relancer une candidature."
    result = default_screener().screen(text, target_id="p1", created=True, at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert len(calls) == 1 and result.fingerprint == real(text)
