"""Post rules, free of I/O."""
import re
from urllib.parse import urlsplit

from shared.caller import Caller
from shared.errors import Forbidden, ValidationFailed

OPEN_KINDS = ("question", "discussion", "testimony")
PUBLISHER_KINDS = ("job_info", "video")  # job sheets and videos: companies and staff
PUBLISHER_ROLES = ("company", "advisor", "admin")
ROME_CODE = re.compile(r"^[A-N][0-9]{4}$")

# What screening decides, and the post status it leads to.
STATUS_AFTER_SCREENING = {"publish": "published", "hold": "held", "reject": "rejected"}

REASON_LABELS = {
    "personal_data.phone": "Le texte contient un numéro de téléphone.",
    "personal_data.email": "Le texte contient une adresse e-mail.",
}


def check_may_publish_kind(caller: Caller, kind: str) -> None:
    if kind in PUBLISHER_KINDS and caller.role not in PUBLISHER_ROLES:
        raise Forbidden("Seuls les entreprises et les conseillers publient des fiches métier et des vidéos.")


def check_video_url(kind: str, video_url: str | None) -> None:
    if kind != "video":
        if video_url:
            raise ValidationFailed.single(["body", "video_url"], "Réservé aux publications de type vidéo.")
        return
    if not video_url:
        raise ValidationFailed.single(["body", "video_url"], "Lien de la vidéo obligatoire.")
    parts = urlsplit(video_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationFailed.single(["body", "video_url"], "Le lien de la vidéo doit être une adresse https.")


def moderation_reason(reasons: list[str]) -> str:
    return " ".join(REASON_LABELS.get(r, r) for r in reasons)


def visible_to(status: str, author_id: str, caller: Caller) -> bool:
    """Only published content is visible to others; authors see their own always."""
    return status == "published" or author_id == caller.id
