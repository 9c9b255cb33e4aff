"""Abusive language: the French word list, robust to disguises, blind to ordinary words."""
import pytest

from services.moderation.abuse import WORD_LIST_PATH, WordList, load_word_list, parse_word_list


@pytest.fixture(scope="module")
def words() -> WordList:
    return load_word_list()


@pytest.mark.parametrize(
    "text",
    [
        "Espèce de connard",
        "CONNARD",
        "Quel connnnnard celui-là",
        "c o n n a r d",
        "t'es un c.o.n",
        "c-o-n-n-a-r-d !",
        "c0nn@rd",
        "c0nn4rd",
        "s@l0pe",
        "$alope",
        "5alope",
        "b1te",
        "enculé",
        "ENCULE",
        "encul3",
        "pétasse",
        "petasse",
        "imbécile !",
        "Va te faire, sale pute",
        "fils de pute",
        "casse-couilles",
        "ce branleur",
        "con\u200bnard",  # a zero-width space hidden inside the word
    ],
)
def test_abusive_words_are_found_through_their_disguises(words, text):
    assert words.matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je prépare un concours de la fonction publique",
        "La constitution d'une société coopérative",
        "Un déménagement à Scunthorpe",
        "Connaissez-vous une formation de conducteur de bus ?",
        "Le cône de signalisation",
        "Mon conseiller m'a aidé",
        "Les contrats courts se succèdent",
        "Boulanger : pain bâtard, baguette et pain de campagne",
        "J'ai changé la pédale de frein",
        "Il fait un sale temps à Lille",
        "Je cherche un poste de trainee en finance",
        "Traversée de la Manche en ferry",
        "Le cul-de-sac derrière l'agence",
        "Salaire de 1 200 € pour 35 h",
        "Salut ! Bonne journée !",
        "Une technique de vente",
        "J'ai pris des notes : a b c",
        "Il y a un atelier CV à 14 h",
        "Puis-je cumuler ARE et salaire ?",
        "Le compte CPF",
    ],
)
def test_ordinary_words_are_not_abusive(words, text):
    assert not words.matches(text)


def test_repeated_letters_only_match_when_a_letter_is_repeated_three_times():
    # "cône" folds to "cone", which is "conne" with its double letter collapsed: not a match.
    assert not WordList.of(["conne"]).matches("un cône")
    assert WordList.of(["conne"]).matches("connnne")


def test_the_list_matches_phrases_as_whole_words():
    phrases = WordList.of(["sac à merde"])
    assert phrases.matches("espèce de sac a merde")
    assert not phrases.matches("un sac à dos")


def test_the_shipped_list_credits_its_source_and_licence():
    header = "".join(line for line in WORD_LIST_PATH.read_text(encoding="utf-8").splitlines(True) if line.startswith("#"))
    assert "french-badwords-list" in header and "MIT" in header and "Maurice Butler" in header
    entries = parse_word_list(WORD_LIST_PATH.read_text(encoding="utf-8"))
    assert len(entries) > 150 and "connard" in entries and not any(e.startswith("#") for e in entries)
