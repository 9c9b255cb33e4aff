"""Display names that pose as staff (issue 13): refused with 422 for members
who are not staff, at registration and on PATCH /v1/me."""
import pytest

from services.identity import domain, handlers
from shared.caller import Caller
from shared.errors import ValidationFailed
from tests.unit.services.test_identity_access import caller_of
from tests.unit.services.test_identity_handlers import add_invitation, add_user, registration

POSING = [
    "Conseiller Martin", "conseillère Emploi", "CONSEILLER", "Conseillers de Lille", "Équipe emploi",
    "equipe de la plateforme", "Modération", "moderation", "La modération", "Modérateur Paul", "Pôle emploi",
    "pole-emploi", "Pôle Emploi Lille", "PôleEmploi", "France Travail", "francetravail", "France-Travail Lens",
    "Agent France Travail", "P0le emploi", "France Trava1l", "C o n s e i l l e r Paul", "M.o.d.é.r.a.t.i.o.n",
    "Administrateur", "Admin", "É Q U I P E", "Conseiller\u00a0Martin",
]
ORDINARY = [
    "Camille", "Camille D.", "Jean-Pierre Martin", "Équipements Dupont", "Polé", "Francette Travers",
    "Conseil & Co", "Moderna", "Paul, ancien cariste", "Pauline Emploie", "Travail d'équipe à Lille",
]


@pytest.mark.parametrize("name", POSING)
def test_names_posing_as_staff_are_recognised(name):
    assert domain.poses_as_staff(name)


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_names_are_not(name):
    assert not domain.poses_as_staff(name)


@pytest.mark.parametrize("role", ["job_seeker", "company"])
def test_a_member_cannot_register_under_a_staff_name(identity_uow, hasher, common, now, role):
    invitation = add_invitation(identity_uow, now, role=role, agency="HDF-LILLE" if role == "job_seeker" else None)
    with pytest.raises(ValidationFailed) as refused:
        handlers.register(identity_uow, registration(display_name="Conseiller Pôle emploi"), hasher, common, now)
    assert refused.value.errors[0]["loc"] == ["body", "display_name"]
    assert "réservé" in refused.value.errors[0]["msg"]
    assert not identity_uow.users.rows
    assert invitation.uses == 0 and not identity_uow.events and not identity_uow.published


def test_an_advisor_may_register_as_conseiller(identity_uow, hasher, common, now):
    add_invitation(identity_uow, now, role="advisor", agency="HDF-LILLE")
    out = handlers.register(identity_uow, registration(display_name="Conseillère Martin"), hasher, common, now)
    assert out["display_name"] == "Conseillère Martin"


def test_a_member_cannot_take_a_staff_name_later(identity_uow, hasher, now):
    user = add_user(identity_uow, hasher, now)
    with pytest.raises(ValidationFailed) as refused:
        handlers.update_me(identity_uow, caller_of(user), {"display_name": "France Travail"}, now)
    assert refused.value.errors[0]["loc"] == ["body", "display_name"]
    assert user.display_name == "Camille" and not identity_uow.events and not identity_uow.published
    # Other fields alone are fine, and so is an ordinary name.
    handlers.update_me(identity_uow, caller_of(user), {"bio": "Cariste"}, now)
    assert handlers.update_me(identity_uow, caller_of(user), {"display_name": "Camille D."}, now)["display_name"] == "Camille D."


def test_staff_may_use_such_a_name(identity_uow, hasher, now):
    advisor = add_user(identity_uow, hasher, now, email="c@exemple.fr", role="advisor")
    assert handlers.update_me(identity_uow, caller_of(advisor), {"display_name": "Conseiller Martin"}, now)
    admin = add_user(identity_uow, hasher, now, email="a@exemple.fr", role="admin", agency=None)
    assert handlers.update_me(identity_uow, Caller(str(admin.id), "admin", None), {"display_name": "Modération"}, now)
