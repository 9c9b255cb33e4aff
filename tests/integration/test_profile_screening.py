"""identity → moderation → identity (and notifications) over real events: a
new display name or bio is shown to others only once moderation finds it
clean or a person approves it (issue 13)."""
import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pipeline(start_service):
    return [start_service(name) for name in ("identity", "moderation", "notifications")]


def as_caller(member):
    return {"id": member["id"], "role": member["role"], "agency_code": member["agency_code"]}


def test_a_clean_bio_and_name_are_shown_to_others(pipeline, rpc, make_member):
    author, reader = make_member(), make_member()
    me = rpc(as_caller(author)).identity.update_me({"display_name": "Camille D.", "bio": "Cariste, je cherche à Lille."})
    assert me["profile_moderation"] == "pending" and me["bio"] == "Cariste, je cherche à Lille."
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["bio"] == ""  # not yet screened

    wait_for(lambda: rpc(as_caller(reader)).identity.get_user(author["id"])["bio"] == "Cariste, je cherche à Lille.",
             timeout=5, message="the clean bio to be shown")
    public = rpc(as_caller(reader)).identity.get_user(author["id"])
    assert public["display_name"] == "Camille D."
    assert rpc(as_caller(author)).identity.get_me()["profile_moderation"] is None


def test_a_bio_with_a_phone_number_is_held_not_shown_and_refused_by_a_person(pipeline, rpc, make_member, admin,
                                                                              platform):
    author, reader = make_member(), make_member()
    advisor = make_member("advisor", "HDF-LILLE", display_name="Conseillère Lina")
    rpc(as_caller(author)).identity.update_me({"bio": "Cariste, appelez-moi au 06 12 34 56 78"})

    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] == "held", timeout=5,
             message="the bio to be held")
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["bio"] == ""
    assert rpc(as_caller(author)).identity.get_me()["bio"] == "Cariste, appelez-moi au 06 12 34 56 78"

    queue = rpc(as_caller(advisor)).moderation.queue({"limit": 100})["items"]
    [case] = [c for c in queue if c["target_id"] == author["id"]]
    assert (case["target_type"], case["reasons"]) == ("profile", ["personal_data.phone"])
    assert "06 12 34 56 78" not in case["excerpt"] and "12 34" not in case["excerpt"]

    rpc(as_caller(advisor)).moderation.decide(case["id"], {"action": "reject", "reason": "Pas de numéro de téléphone"})
    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] == "refused", timeout=5,
             message="the bio to be refused")
    assert rpc(as_caller(author)).identity.get_me()["bio"] == ""
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["bio"] == ""
    with db_connect(platform, "identity") as conn:
        assert conn.execute("SELECT pending_bio FROM users WHERE id = %s", (author["id"],)).fetchone() == (None,)

    def told():
        items = rpc(as_caller(author)).notifications.list_notifications({})["items"]
        return [n for n in items if n["type"] == "moderation_decision"]

    [notice] = wait_for(told, timeout=5, message="the member to be told")
    assert notice["title"] == "Votre profil n'a pas été modifié" and "téléphone" in notice["body"]


def test_a_held_name_approved_by_a_person_is_then_shown(pipeline, rpc, make_member, admin):
    author, reader = make_member(display_name="Nour"), make_member()
    rpc(as_caller(author)).identity.update_me({"display_name": "Nour nour.b@exemple.fr"})
    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] == "held", timeout=5,
             message="the name to be held")
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["display_name"] == "Nour"
    [case] = [c for c in rpc(admin).moderation.queue({"limit": 100})["items"] if c["target_id"] == author["id"]]
    rpc(admin).moderation.decide(case["id"], {"action": "approve", "reason": "Adresse professionnelle"})
    wait_for(lambda: rpc(as_caller(reader)).identity.get_user(author["id"])["display_name"] == "Nour nour.b@exemple.fr",
             timeout=5, message="the approved name to be shown")


def test_a_name_typed_at_registration_is_screened_before_others_see_it(pipeline, rpc, make_member, admin):
    """Issue 13: the display name typed at registration goes through the same
    screening as a profile edit; until a clean verdict others see a neutral name."""
    author = make_member(display_name="Nina 06 12 34 56 78", screened=False)
    reader = make_member()
    assert author["display_name"] == "Nina 06 12 34 56 78"  # what the member typed, to themselves
    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] == "held", timeout=10,
             message="the typed name to be held")
    assert rpc(as_caller(author)).identity.get_me()["display_name"] == "Nina 06 12 34 56 78"
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["display_name"] == "Nouveau membre"

    [case] = [c for c in rpc(admin).moderation.queue({"limit": 100})["items"] if c["target_id"] == author["id"]]
    assert (case["target_type"], case["reasons"]) == ("profile", ["personal_data.phone"])
    rpc(admin).moderation.decide(case["id"], {"action": "reject", "reason": "Pas de numéro de téléphone"})
    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] == "refused", timeout=10,
             message="the typed name to be refused")
    assert rpc(as_caller(author)).identity.get_me()["display_name"] == "Nouveau membre"
    assert rpc(as_caller(reader)).identity.get_user(author["id"])["display_name"] == "Nouveau membre"


def test_a_clean_name_typed_at_registration_reaches_the_other_services(pipeline, rpc, make_member, platform):
    author = make_member(display_name="Yasmine B.", screened=False)
    wait_for(lambda: rpc(as_caller(author)).identity.get_me()["profile_moderation"] is None, timeout=10,
             message="moderation's clean verdict")
    assert rpc(as_caller(make_member())).identity.get_user(author["id"])["display_name"] == "Yasmine B."

    def copy():  # notifications' copy of members, renamed by identity's profile_updated
        with db_connect(platform, "notifications") as conn:
            return conn.execute("SELECT display_name FROM members WHERE id = %s", (author["id"],)).fetchone()
    wait_for(lambda: copy() == ("Yasmine B.",), timeout=10, message="the name in notifications' copy")
