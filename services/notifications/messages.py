"""What each event tells whom, in French: titles, bodies and links.

Pure functions from an event contract to drafts; `people` answers the
questions the texts need (the post a comment belongs to, the advisors of an
agency) from the service's own projections.

A text never holds another member's name: it holds that member's id in a
slot (`actor`), and the name is put in when the text is read or sent
(`render`). A rename then shows everywhere, an erased member shows as
« Membre supprimé », and erasure rewrites nothing by substring (which would
mangle every text when a member is called "le", or rewrite a namesake's).
"""
import re
from datetime import datetime
from typing import Callable, Protocol
from zoneinfo import ZoneInfo

from services.notifications.domain import Draft
from shared.contracts.events import CalendarEventCancelled, RegistrationConfirmed, ReminderDue
from shared.contracts.mentoring import MentoringAccepted, MentoringDeclined, MentoringRequested, MentorshipEnded
from shared.contracts.moderation import (
    CaseDecided, QuestionUnanswered, ReportResolved, SanctionImposed, TextDecided, TextScreened,
)
from shared.contracts.posts import AnswerAccepted, CommentPublished, ReactionAdded

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SOMEONE = "Un membre"
ERASED_NAME = "Membre supprimé"
MENTORING_LINK = "/v1/mentoring/requests"


class People(Protocol):
    def post_of_comment(self, comment_id: str) -> str | None: ...

    def advisors_of(self, agency_code: str) -> list[str]: ...


def french_datetime(moment: datetime) -> str:
    """`samedi 5 décembre à 14 h 30`, in metropolitan French time."""
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{DAYS[local.weekday()]} {day} {MONTHS[local.month - 1]} à {local.hour} h {local.minute:02d}"


def quoted(title: str) -> str:
    title = " ".join(title.split())
    return f"« {title[:117] + '…' if len(title) > 120 else title} »"


def post_link(post_id: str | None) -> str | None:
    return f"/v1/posts/{post_id}" if post_id else None


def event_link(calendar_event_id: str) -> str:
    return f"/v1/events/{calendar_event_id}"


# A member's slot in a text: record separator, id, unit separator, what to
# show when the member is unknown, unit separator. The API refuses control
# characters in every text a person writes (shared/api/text.py), so no text
# can forge a slot.
_SLOT = re.compile("\x1e([0-9a-fA-F-]{1,64})\x1f([^\x1e\x1f]*)\x1f")


def actor(user_id: str, unknown: str = SOMEONE) -> str:
    """The slot where `user_id`'s name goes."""
    return f"\x1e{user_id}\x1f{unknown}\x1f"


def actors_in(*texts: str) -> set[str]:
    """The member ids named in these texts."""
    return {m.group(1) for text in texts if text for m in _SLOT.finditer(text)}


def render(text: str, name_of: Callable[[str], tuple[str | None, bool]],
           escape: Callable[[str], str] = lambda s: s) -> str:
    """`text` with each slot replaced by the member's current name: « Membre
    supprimé » when erased, the slot's fallback when unknown. `name_of(id)`
    answers (name, erased); `escape` makes the name safe where it goes (HTML)."""
    def name(match: re.Match) -> str:
        display_name, erased = name_of(match.group(1))
        return escape(ERASED_NAME if erased else display_name or match.group(2))
    return _SLOT.sub(name, text) if text else text


def _name(people: People, user_id: str) -> str:
    return actor(user_id)


def _target_link(people: People, target_type: str, target_id: str) -> str | None:
    return post_link(target_id if target_type == "post" else people.post_of_comment(target_id))


def comment_published(event: CommentPublished, people: People) -> list[Draft]:
    if event.author_id == event.post_author_id:
        return []  # one's own comment tells one nothing
    who = _name(people, event.author_id)
    if event.post_kind == "question":
        title = "Nouvelle réponse à votre question"
        body = f"{who} a répondu à votre question {quoted(event.post_title)}. Allez voir ce qu'on vous propose !"
    else:
        title = "Nouveau commentaire sur votre publication"
        body = f"{who} a commenté votre publication {quoted(event.post_title)}."
    return [Draft(event.post_author_id, "comment_on_post", title, body, post_link(event.post_id))]


def answer_accepted(event: AnswerAccepted, people: People) -> list[Draft]:
    if event.answer_author_id == event.question_author_id:
        return []
    if event.validated_by_advisor:
        body = (f"Un conseiller a validé votre réponse à la question {quoted(event.post_title)}. "
                "Merci pour votre aide précieuse !")
    else:
        body = (f"Votre réponse à la question {quoted(event.post_title)} a été retenue comme la plus utile. "
                "Merci pour votre aide !")
    return [Draft(event.answer_author_id, "answer_accepted", "Votre réponse a été retenue", body,
                  post_link(event.post_id))]


REACTION_BODIES = {
    "helpful": "{who} a trouvé votre publication utile.",
    "thanks": "{who} vous remercie pour votre publication.",
    "support": "{who} vous envoie son soutien.",
}


def reaction_added(event: ReactionAdded, people: People) -> list[Draft]:
    if event.user_id == event.post_author_id:
        return []
    body = REACTION_BODIES[event.type].format(who=_name(people, event.user_id))
    return [Draft(event.post_author_id, "reaction", "Nouvelle réaction à votre publication", body,
                  post_link(event.post_id))]


def _content(target_type: str) -> tuple[str, str]:
    """(noun, possessive form) for a post or a comment."""
    return ("publication", "votre publication") if target_type == "post" else ("commentaire", "votre commentaire")


def case_decided(event: CaseDecided, people: People) -> list[Draft]:
    _, yours = _content(event.target_type)
    reason = f" Motif : {event.reason.strip()}" if event.reason.strip() else ""
    feminine = event.target_type == "post"
    if event.action == "approve":
        title = f"{yours.capitalize()} est en ligne"
        body = f"Après vérification, {yours} est visible par les autres membres. Merci pour votre participation !"
    elif event.action == "reject":
        title = f"{yours.capitalize()} n'a pas été {'retenue' if feminine else 'retenu'}"
        pronoun = "la" if feminine else "le"
        body = (f"Un modérateur n'a pas pu publier {yours}.{reason} Vous pouvez {pronoun} reformuler, "
                "ou faire appel de cette décision si vous pensez qu'il y a une erreur.")
    else:
        title = f"{yours.capitalize()} a été {'masquée' if feminine else 'masqué'}"
        body = (f"Un modérateur a masqué {yours}.{reason} "
                "Si vous pensez qu'il s'agit d'une erreur, vous pouvez faire appel de cette décision.")
    return [Draft(event.target_author_id, "moderation_decision", title, body,
                  _target_link(people, event.target_type, event.target_id))]


# The other screened texts (issue 13): (title once published, body once
# published, title when refused, what stays when refused), per target type.
TEXTS = {
    "profile": ("Votre profil est à jour",
                "Après vérification, votre nom affiché et votre présentation sont visibles par les autres membres.",
                "Votre profil n'a pas été modifié",
                "Les autres membres voient toujours votre nom et votre présentation précédents ; "
                "vous pouvez proposer un nouveau texte."),
    "mentoring_request": ("Votre demande de mentorat a été transmise",
                          "Après vérification, votre message a été transmis au mentor.",
                          "Votre demande de mentorat n'a pas été transmise",
                          "Votre demande est annulée ; vous pouvez en envoyer une nouvelle, avec un autre message."),
    "calendar_event": ("Votre événement est publié",
                       "Après vérification, votre événement est visible par les membres.",
                       "Votre événement n'a pas été publié",
                       "Il n'est pas visible des membres ; vous pouvez en proposer un nouveau."),
}


def _text_link(target_type: str, target_id: str) -> str | None:
    return {"profile": "/v1/me", "mentoring_request": MENTORING_LINK,
            "calendar_event": event_link(target_id)}[target_type]


def text_decided(event: TextDecided, people: People) -> list[Draft]:
    published_title, published_body, refused_title, what_stays = TEXTS[event.target_type]
    if event.verdict == "published":
        title, body = published_title, published_body
    else:
        reason = f" Motif : {event.reason.strip()}" if event.reason.strip() else ""
        title, body = refused_title, f"Un modérateur n'a pas pu publier votre texte.{reason} {what_stays}"
    return [Draft(event.author_id, "moderation_decision", title, body, _text_link(event.target_type, event.target_id))]


def text_screened(event: TextScreened, people: People) -> list[Draft]:
    """Only a refusal by the rules tells the member anything: a clean text is
    simply shown, a held one waits for a person (who then decides)."""
    if event.verdict != "refused":
        return []
    _, _, refused_title, what_stays = TEXTS[event.target_type]
    body = ("Nous n'avons pas pu publier votre texte : il ne respecte pas les règles de la communauté "
            f"(par exemple des coordonnées personnelles ou des propos injurieux). {what_stays}")
    return [Draft(event.author_id, "moderation_decision", refused_title, body,
                  _text_link(event.target_type, event.target_id))]


def report_resolved(event: ReportResolved, people: People) -> list[Draft]:
    noun, _ = _content(event.target_type)
    feminine = event.target_type == "post"
    article, ending = ("la", "e") if feminine else ("le", "")
    if event.action == "approve":
        body = (f"Merci pour votre signalement. Après examen, {article} {noun} respecte les règles de la "
                "communauté et reste en ligne.")
    elif event.action == "reject":
        body = f"Merci pour votre signalement. Après examen, {article} {noun} a été retiré{ending}."
    else:
        body = f"Merci pour votre signalement. Après examen, {article} {noun} a été masqué{ending}."
    link = None if event.action != "approve" else _target_link(people, event.target_type, event.target_id)
    return [Draft(event.reporter_id, "report_resolved", "Votre signalement a été traité", body, link)]


def sanction_imposed(event: SanctionImposed, people: People) -> list[Draft]:
    until = f" jusqu'au {french_datetime(event.expires_at)}" if event.expires_at else ""
    reason = f" Motif : {event.reason.strip()}" if event.reason.strip() else ""
    if event.type == "warn":
        title = "Un avertissement de la modération"
        body = (f"La modération vous adresse un avertissement.{reason} "
                "Merci de veiller au respect des règles de la communauté.")
    elif event.type == "mute":
        title = "Vous ne pouvez plus publier pour le moment"
        body = (f"La modération a suspendu vos publications et commentaires{until}.{reason} "
                "Vous pouvez toujours lire les échanges.")
    else:
        title = "Votre compte est suspendu"
        body = (f"La modération a suspendu votre compte{until}.{reason} "
                "Pour toute question, adressez-vous à votre conseiller.")
    return [Draft(event.user_id, "sanction", title, body, "/v1/me")]


def question_unanswered(event: QuestionUnanswered, people: People) -> list[Draft]:
    if not event.agency_code:
        return []
    body = (f"La question {quoted(event.post_title)} attend toujours une réponse. "
            "Un coup de pouce de votre part serait bienvenu !")
    return [Draft(advisor, "question_unanswered", "Une question de votre agence reste sans réponse", body,
                  post_link(event.post_id))
            for advisor in people.advisors_of(event.agency_code) if advisor != event.author_id]


def registration_confirmed(event: RegistrationConfirmed, people: People) -> list[Draft]:
    when = french_datetime(event.starts_at)
    if event.promoted_from_waitlist:
        return [Draft(event.user_id, "event_waitlist_promoted", "Une place s'est libérée pour vous !",
                      f"Bonne nouvelle : vous quittez la liste d'attente, votre place est confirmée pour "
                      f"{quoted(event.title)}, le {when}.", event_link(event.calendar_event_id))]
    return [Draft(event.user_id, "event_registration_confirmed", "Votre inscription est confirmée",
                  f"Votre place est réservée pour {quoted(event.title)}, le {when}. À bientôt !",
                  event_link(event.calendar_event_id))]


def event_cancelled(event: CalendarEventCancelled, people: People) -> list[Draft]:
    reason = f" Motif : {event.reason.strip()}" if event.reason.strip() else ""
    body = (f"Nous sommes désolés : {quoted(event.title)}, prévu le {french_datetime(event.starts_at)}, "
            f"est annulé.{reason}")
    return [Draft(user_id, "event_cancelled", "Événement annulé", body, event_link(event.calendar_event_id))
            for user_id in dict.fromkeys(event.registrant_ids)]


def reminder_due(event: ReminderDue, people: People) -> list[Draft]:
    where = ""
    if event.location:
        where = f" Lieu : {event.location}."
    if event.online_url:
        where += f" En ligne : {event.online_url}"
    body = f"Rappel : {quoted(event.title)} a lieu demain, le {french_datetime(event.starts_at)}.{where}"
    return [Draft(event.user_id, "event_reminder", "C'est demain !", body.strip(),
                  event_link(event.calendar_event_id))]


def mentoring_requested(event: MentoringRequested, people: People) -> list[Draft]:
    body = (f"{_name(people, event.mentee_id)} aimerait être accompagné(e) par vous. "
            "Prenez le temps de lire sa demande et d'y répondre.")
    return [Draft(event.mentor_user_id, "mentoring_request", "Nouvelle demande de mentorat", body, MENTORING_LINK)]


def mentoring_accepted(event: MentoringAccepted, people: People) -> list[Draft]:
    who = actor(event.mentor_user_id, "Votre mentor")
    body = f"{who} a accepté de vous accompagner. Belle étape dans votre parcours : c'est parti !"
    return [Draft(event.mentee_id, "mentoring_answer", "Votre demande de mentorat est acceptée", body,
                  MENTORING_LINK)]


def mentoring_declined(event: MentoringDeclined, people: People) -> list[Draft]:
    body = ("Le mentor sollicité ne peut pas vous accompagner pour le moment. Ne vous découragez pas : "
            "d'autres mentors sont disponibles.")
    return [Draft(event.mentee_id, "mentoring_answer", "Réponse à votre demande de mentorat", body,
                  "/v1/mentors")]


def mentorship_ended(event: MentorshipEnded, people: People) -> list[Draft]:
    """Completed: both are thanked. Ended early: the other side is told."""
    if not event.early or event.ended_by is None:
        body = ("Votre mentorat arrive à son terme. Merci pour ces mois d'échanges : "
                "nous vous souhaitons le meilleur pour la suite !")
        return [Draft(user_id, "mentorship_ended", "Votre mentorat est terminé", body, MENTORING_LINK)
                for user_id in (event.mentee_id, event.mentor_user_id)]
    other = event.mentee_id if event.ended_by == event.mentor_user_id else event.mentor_user_id
    who = _name(people, event.ended_by)
    body = f"{who} a mis fin à votre mentorat. Merci pour le chemin parcouru ensemble."
    return [Draft(other, "mentorship_ended", "Fin de votre mentorat", body, MENTORING_LINK)]


# ---------------------------------------------------------------- texts made before the slots

# What followed the actor's name in each text that named one, before names
# were put in at read time: a text made then starts with "<name><phrase>".
LEGACY_ACTOR_PHRASES = (
    " a répondu à votre question ",
    " a commenté votre publication ",
    " a trouvé votre publication utile.",
    " vous remercie pour votre publication.",
    " vous envoie son soutien.",
    " aimerait être accompagné(e) par vous.",
    " a accepté de vous accompagner.",
    " a mis fin à votre mentorat.",
)
LEGACY_PLACEHOLDERS = (SOMEONE, "Votre mentor", ERASED_NAME)


def legacy_actor(body: str) -> tuple[str, str] | None:
    """(name, phrase) of a text made before the slots, when it names a member."""
    if not body or "\x1e" in body:
        return None
    # The earliest phrase: a post title quoted further on may hold another one.
    found = sorted((at, phrase) for phrase in LEGACY_ACTOR_PHRASES if (at := body.find(phrase)) > 0)
    if not found:
        return None
    at, phrase = found[0]
    name = body[:at]
    return None if name in LEGACY_PLACEHOLDERS else (name, phrase)
