"""posts rules: who publishes which kind, video links, visibility."""
import pytest

from services.posts import domain
from shared.caller import Caller
from shared.errors import Forbidden, ValidationFailed


@pytest.mark.parametrize("kind", ["job_info", "video"])
def test_job_seeker_may_not_publish_job_sheets_or_videos(kind):
    with pytest.raises(Forbidden):
        domain.check_may_publish_kind(Caller("u", "job_seeker", "HDF-LILLE"), kind)


@pytest.mark.parametrize("role", ["company", "advisor", "admin"])
@pytest.mark.parametrize("kind", ["job_info", "video"])
def test_publishers_may_publish_job_sheets_and_videos(role, kind):
    domain.check_may_publish_kind(Caller("u", role, None), kind)


@pytest.mark.parametrize("kind", ["question", "discussion", "testimony"])
def test_anyone_may_publish_open_kinds(kind):
    domain.check_may_publish_kind(Caller("u", "job_seeker", "HDF-LILLE"), kind)


def test_video_needs_a_link():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_video_url("video", None)
    assert exc.value.errors[0]["loc"] == ["body", "video_url"]


@pytest.mark.parametrize(
    "url", ["http://video.exemple.fr/cariste", "javascript:alert(1)", "https://", "video.exemple.fr/cariste", "ftp://x.fr/v"]
)
def test_video_link_must_be_https_with_a_host(url):
    with pytest.raises(ValidationFailed):
        domain.check_video_url("video", url)


def test_https_video_link_is_accepted():
    domain.check_video_url("video", "https://video.exemple.fr/metiers/cariste")


def test_other_kinds_may_not_carry_a_video_link():
    with pytest.raises(ValidationFailed):
        domain.check_video_url("question", "https://video.exemple.fr/x")


def test_published_post_is_visible_to_anyone():
    assert domain.visible_to("published", "author", Caller("other", "job_seeker", None))


@pytest.mark.parametrize("status", ["pending", "held", "rejected", "hidden", "removed"])
def test_unpublished_post_is_visible_to_its_author_only(status):
    assert domain.visible_to(status, "author", Caller("author", "job_seeker", None))
    assert not domain.visible_to(status, "author", Caller("other", "job_seeker", None))


def test_moderation_reason_is_french_text_not_a_rule_name():
    reason = domain.moderation_reason(["personal_data.phone", "personal_data.email"])
    assert reason == "Le texte contient un numéro de téléphone. Le texte contient une adresse e-mail."
