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
