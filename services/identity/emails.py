"""identity's e-mails in French (plain text and HTML), built without I/O."""
import html
from dataclasses import dataclass
from urllib.parse import urlencode

SIGNATURE = "L'équipe de la plateforme d'entraide"
NOT_YOU = ("Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : "
           "votre compte reste tel qu'il était.")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def link_with_token(base_url: str, token: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode({'token': token})}"


def _page(display_name: str, paragraphs: list[str], link: tuple[str, str] | None = None) -> tuple[str, str]:
    greeting = f"Bonjour {display_name},"
    text_parts = [greeting, *paragraphs]
    html_parts = [f"<p>{html.escape(greeting)}</p>", *(f"<p>{html.escape(p)}</p>" for p in paragraphs)]
    if link:
        label, url = link
        text_parts.insert(2, f"{label} : {url}")
        html_parts.insert(2, f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>')
    text_parts.append(SIGNATURE)
    html_parts.append(f"<p>{html.escape(SIGNATURE)}</p>")
    body = "\n\n".join(text_parts) + "\n"
    page = ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head><body>'
            + "".join(html_parts) + "</body></html>")
    return body, page


def password_changed(display_name: str) -> Rendered:
    text, page = _page(display_name, [
        "Le mot de passe de votre compte sur la plateforme d'entraide vient d'être changé. "
        "Vos autres connexions ont été fermées.",
        "Si vous n'avez pas fait ce changement, réinitialisez tout de suite votre mot de passe "
        "depuis la page de connexion et prévenez votre conseiller.",
    ])
    return Rendered("Votre mot de passe a été changé", text, page)


def password_reset(display_name: str, url: str, minutes: int) -> Rendered:
    text, page = _page(display_name, [
        "Vous avez demandé à choisir un nouveau mot de passe pour la plateforme d'entraide.",
        f"Ce lien fonctionne une seule fois, pendant {minutes} minutes. {NOT_YOU}",
    ], ("Choisir un nouveau mot de passe", url))
    return Rendered("Choisir un nouveau mot de passe", text, page)


def email_link(display_name: str, url: str, minutes: int) -> Rendered:
    text, page = _page(display_name, [
        "Voici votre lien de connexion à la plateforme d'entraide.",
        f"Ce lien fonctionne une seule fois, pendant {minutes} minutes. {NOT_YOU}",
    ], ("Me connecter", url))
    return Rendered("Votre lien de connexion", text, page)


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def french_date(when) -> str:
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def inactivity_warning(display_name: str, erase_on) -> Rendered:
    text, page = _page(display_name, [
        "Vous ne vous êtes pas connecté(e) à la plateforme d'entraide depuis près de deux ans.",
        f"Sans connexion de votre part d'ici le {french_date(erase_on)}, votre compte sera supprimé avec "
        "vos données personnelles ; vos publications resteront, signées « Membre supprimé ».",
        "Pour garder votre compte, il suffit de vous connecter avant cette date.",
    ])
    return Rendered("Votre compte va être supprimé faute d'utilisation", text, page)
