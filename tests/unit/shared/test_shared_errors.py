"""Expected errors: nameko serialises `exc.args`, so the detail is the first argument."""
import pytest

from shared.errors import (
    EXPECTED_ERRORS, Conflict, DomainError, Forbidden, NotFound, TemporarilyUnavailable, TooManyRequests, Unauthorized,
    ValidationFailed,
)


@pytest.mark.parametrize("cls", [NotFound, Forbidden, Conflict, Unauthorized])
def test_detail_is_the_only_argument(cls):
    exc = cls("Publication introuvable.")
    assert exc.args == ("Publication introuvable.",)
    assert exc.detail == "Publication introuvable."
    assert isinstance(exc, EXPECTED_ERRORS)


def test_validation_failed_carries_the_error_list_first():
    errors = [{"loc": ["body", "email"], "msg": "Adresse e-mail invalide."}]
    exc = ValidationFailed(errors)
    assert exc.args == (errors,)
    assert exc.detail == "Adresse e-mail invalide."
    assert isinstance(exc, DomainError)


def test_validation_failed_single_builds_one_error():
    exc = ValidationFailed.single(["body", "x"], "Champ obligatoire.")
    assert exc.errors == [{"loc": ["body", "x"], "msg": "Champ obligatoire."}]


def test_too_many_requests_carries_detail_then_retry_after():
    exc = TooManyRequests("Trop de tentatives.", 30)
    assert exc.args == ("Trop de tentatives.", 30)
    assert exc.retry_after_seconds == 30
    assert isinstance(exc, DomainError)


def test_temporarily_unavailable_carries_detail_then_retry_after():
    exc = TemporarilyUnavailable("Service indisponible.", 5)
    assert exc.args == ("Service indisponible.", 5)
    assert isinstance(exc, EXPECTED_ERRORS)
