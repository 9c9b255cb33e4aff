"""Post rules, free of I/O."""
import re
from datetime import datetime
from urllib.parse import urlsplit

from shared.api.posts import PUBLISHER_KINDS, PUBLISHER_ROLES
from shared.caller import Caller
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

OPEN_KINDS = ("question", "discussion", "testimony")
ROME_CODE = re.compile(r"^[A-N][0-9]{4}$")
TOPIC_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REACTION_TYPES = ("helpful", "thanks", "support")
# Roles whose acceptance of an answer shows as validated by an advisor.
VALIDATING_ROLES = ("advisor", "admin")

POST_NOT_FOUND = "Publication introuvable."
COMMENT_NOT_FOUND = "Commentaire introuvable."
DELETED_MEMBER = "Membre supprimé"

# What screening decides, and the status it leads to.
STATUS_AFTER_SCREENING = {"publish": "published", "hold": "held", "reject": "rejected"}
SEVERITY = {"publish": 0, "hold": 1, "reject": 2}
# What a moderator's decision (or a hiding after reports) makes of a target.
STATUS_AFTER_DECISION = {"approve": "published", "reject": "rejected", "hide": "hidden"}

REASON_LABELS = {
    "personal_data.phone": "Le texte contient un numéro de téléphone.",
    "personal_data.email": "Le texte contient une adresse e-mail.",
    "personal_data.nir": "Le texte contient un numéro de sécurité sociale.",
    "personal_data.iban": "Le texte contient un IBAN.",
    "abuse": "Le texte contient des propos injurieux.",
    "spam.links": "Le texte contient trop de liens.",
    "spam.repeated": "Le texte répète le même contenu.",
    "spam.flood": "Trop de publications en peu de temps.",
    "screening.unfinished": "Le texte n'a pas pu être vérifié automatiquement : un modérateur va le relire.",
    "review.edited_after_decision": "Modifié après une décision de modération : un modérateur va le relire.",
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


def check_topic_slug(slug: str, kind: str) -> None:
    if kind == "rome":
        if not ROME_CODE.match(slug):
            raise ValidationFailed.single(["body", "slug"], "Un code ROME s'écrit comme M1805.")
    elif not TOPIC_SLUG.match(slug):
        raise ValidationFailed.single(
            ["body", "slug"], "Lettres minuscules sans accents, chiffres et tirets seulement (ex. : sante-social)."
        )


FAMILY_LABELS = {
    "personal_data": "Le texte contient des données personnelles.",
    "abuse": "Le texte contient des propos injurieux.",
    "spam": "Le texte ressemble à du spam.",
}
DEFAULT_REASON = "Le contenu doit être vérifié par un modérateur."


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason) or FAMILY_LABELS.get(reason.split(".", 1)[0], DEFAULT_REASON)


def moderation_reason(reasons: list[str]) -> str:
    """French text shown to the author, never the rule names."""
    return " ".join(dict.fromkeys(reason_label(r) for r in reasons)) or DEFAULT_REASON


def visible_to(status: str, author_id: str, caller: Caller) -> bool:
    """Only published content is visible to others; authors see their own always."""
    return status == "published" or author_id == caller.id


def check_not_muted(active_mute_expiries: list[datetime | None]) -> None:
    """A muted member neither posts nor comments until every mute in force ends."""
    if not active_mute_expiries:
        return
    if any(expiry is None for expiry in active_mute_expiries):
        raise Forbidden("Vous ne pouvez plus publier ni commenter : un modérateur a restreint votre compte.")
    until = max(active_mute_expiries).strftime("%d/%m/%Y à %H:%M")
    raise Forbidden(
        f"Vous ne pouvez pas publier ni commenter jusqu'au {until} (UTC) : un modérateur a restreint votre compte."
    )


def check_may_edit(post_author_id: str, caller: Caller) -> None:
    if caller.id != post_author_id and caller.role != "admin":
        raise Forbidden("Seul l'auteur ou un administrateur modifie une publication.")


def may_remove(post_author_id: str, post_agency: str | None, caller: Caller) -> bool:
    return caller.id == post_author_id or caller.is_staff_of(post_agency)


def check_may_accept(post_author_id: str, post_agency: str | None, caller: Caller) -> None:
    if caller.id != post_author_id and not caller.is_staff_of(post_agency):
        raise Forbidden("Seul l'auteur de la question ou un conseiller de son agence valide une réponse.")


def check_may_pin(post_agency: str | None, caller: Caller) -> None:
    if not caller.is_staff_of(post_agency):
        raise Forbidden("Seuls les conseillers de l'agence et les administrateurs épinglent une publication.")


def check_open_for_conversation(status: str, author_id: str, caller: Caller) -> None:
    """Comments, reactions, accepted answers and pins are for published posts."""
    if status == "published":
        return
    if author_id == caller.id and status != "removed":
        raise Conflict("Cette publication n'est pas encore publiée.")
    raise NotFound(POST_NOT_FOUND)


def merge_screening(previous: str | None, decision: str) -> str:
    """Of several screenings of one post's revisions, the most severe wins."""
    if previous is None or SEVERITY[decision] > SEVERITY[previous]:
        return decision
    return previous


def screening_settled(revision: int, screenings_received: int) -> bool:
    """Every text submitted (creation and edits) has been screened.

    Screenings of successive revisions may arrive in any order; deciding only
    when all are in, with the most severe decision, never publishes a text
    that was not screened."""
    return screenings_received >= revision


def status_after_decision(current: str, action: str) -> str | None:
    """The status a person's decision leads to, or None when it does not apply.

    Removed content stays removed; pending content (edited since the case was
    opened) waits for its new screening."""
    if current in ("removed", "pending"):
        return None
    target = STATUS_AFTER_DECISION[action]
    return None if target == current else target


def status_after_hiding(current: str) -> str | None:
    return "hidden" if current in ("published", "held") else None


def validates(caller: Caller) -> bool:
    return caller.role in VALIDATING_ROLES
