"""French words for the API's codes, and numbers as people read them."""

from __future__ import annotations

POST_KINDS = {
    "question": "Question", "discussion": "Discussion", "testimony": "Témoignage",
    "job_info": "Fiche métier", "video": "Vidéo",
}
MEMBER_KINDS = ("question", "discussion", "testimony")
STAFF_KINDS = ("job_info", "video")
EVENT_KINDS = {
    "job_fair": "Salon de l'emploi", "workshop": "Atelier", "info_session": "Réunion d'information",
    "webinar": "Webinaire",
}
ROLES = {"job_seeker": "Demandeur d'emploi", "advisor": "Conseiller", "company": "Entreprise", "admin": "Équipe nationale"}
POST_STATUSES = {
    "pending": "En cours de vérification", "published": "Publié", "held": "Retenu pour vérification",
    "rejected": "Refusé", "hidden": "Masqué", "removed": "Supprimé",
}
REPORT_REASONS = {
    "spam": "Publicité ou spam", "abuse": "Propos injurieux ou harcèlement",
    "personal_data": "Données personnelles", "misinformation": "Information fausse", "other": "Autre raison",
}
# Why screening held something (moderation's reason codes).
SCREENING_REASONS = {
    "abuse.word_list": "Propos injurieux", "personal_data.email": "Adresse e-mail",
    "personal_data.iban": "Coordonnées bancaires (IBAN)", "personal_data.nir": "Numéro de sécurité sociale",
    "personal_data.phone": "Numéro de téléphone", "spam.duplicate": "Texte répété", "spam.flood": "Publications en rafale",
    "spam.links": "Trop de liens",
    # Not rules: why a person must look (moderation's domain and screening).
    "review.edited_after_decision": "Modifié après une décision", "screening.unfinished": "Texte non analysé automatiquement",
}
CASE_SOURCES = {"screening": "Filtrage automatique", "reports": "Signalements", "appeal": "Appel"}
MODERATION_ACTIONS = {"approve": "Approuver (publier)", "reject": "Refuser", "hide": "Masquer"}
# What a case is about; the texts other than posts and comments are approved or refused only (issue 13).
CASE_TARGETS = {"post": "Publication", "comment": "Réponse", "profile": "Profil d'un membre (nom, présentation)",
                "mentoring_request": "Demande de mentorat (message)", "calendar_event": "Événement (titre, description, lieu)"}
TEXT_TARGETS = ("profile", "mentoring_request", "calendar_event")
REACTIONS = {"helpful": "Utile", "thanks": "Merci", "support": "Soutien"}
SANCTIONS = {"warn": "Avertissement", "mute": "Mise en sourdine", "suspend": "Suspension"}
NOTIFICATION_TYPES = {
    "comment_on_post": "Une réponse à ma publication", "answer_accepted": "Ma réponse acceptée",
    "reaction": "Une réaction à ma publication", "moderation_decision": "Une décision de modération",
    "report_resolved": "La suite de mon signalement", "sanction": "Une sanction",
    "question_unanswered": "Une question sans réponse de mon agence",
    "event_registration_confirmed": "Mon inscription à un événement", "event_waitlist_promoted": "Une place libérée",
    "event_cancelled": "Un événement annulé", "event_reminder": "Le rappel d'un événement",
    "mentoring_request": "Une demande de mentorat", "mentoring_answer": "La réponse à ma demande de mentorat",
    "mentorship_ended": "La fin d'un mentorat",
}
DIGESTS = {"off": "Jamais", "daily": "Chaque jour", "weekly": "Chaque semaine"}
MENTORING_STATUSES = {
    "pending": "En attente de réponse", "declined": "Déclinée", "cancelled": "Annulée", "active": "En cours",
    "completed": "Terminé", "ended": "Arrêté",
}


def post_kind(code: str | None) -> str:
    return POST_KINDS.get(code or "", code or "")


def event_kind(code: str | None) -> str:
    return EVENT_KINDS.get(code or "", code or "")


def role(code: str | None) -> str:
    return ROLES.get(code or "", code or "")


def post_status(code: str | None) -> str:
    return POST_STATUSES.get(code or "", code or "")


def report_reason(code: str | None) -> str:
    """A report's reason ("spam", or "report.spam" in a case) or a screening reason."""
    code = code or ""
    if code in SCREENING_REASONS:
        return SCREENING_REASONS[code]
    short = code.removeprefix("report.")
    return ("Signalé : " if code.startswith("report.") else "") + REPORT_REASONS.get(short, short)


def case_source(code: str | None) -> str:
    return CASE_SOURCES.get(code or "", code or "")


def moderation_action(code: str | None) -> str:
    return MODERATION_ACTIONS.get(code or "", code or "")


def notification_type(code: str | None) -> str:
    return NOTIFICATION_TYPES.get(code or "", code or "")


def mentoring_status(code: str | None) -> str:
    return MENTORING_STATUSES.get(code or "", code or "")


def number(value: float | int | None, digits: int = 0) -> str:
    """12 345,5 — French grouping and decimal comma; a dash when unknown."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{number(ratio * 100)} %"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count in (0, 1) else many}"


# Browsers and systems as people name them; the first match wins (Edge and
# Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux").
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device(user_agent: str | None) -> str:
    """'Firefox sur Android' from a User-Agent header; 'Appareil inconnu' without one."""
    if not user_agent:
        return "Appareil inconnu"
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} sur {system}"
    return browser or system or user_agent[:60]
