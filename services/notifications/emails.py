"""E-mails in French, plain text and HTML, built without I/O."""
import html
from dataclasses import dataclass
from datetime import datetime

SIGNATURE = "L'équipe de la plateforme d'entraide"
FOOTER = ("Vous recevez cet e-mail parce que vous êtes membre de la plateforme d'entraide. "
          "Vous pouvez choisir les e-mails que vous recevez dans vos préférences de notification.")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DigestItem:
    title: str
    body: str
    link: str | None


def notification_message_id(notification_id: str, domain: str) -> str:
    """The same notification always gets the same Message-ID: a resend after
    a crash is recognisable as the same message."""
    return f"<notification.{notification_id}@{domain}>"


def digest_message_id(user_id: str, period: str, domain: str) -> str:
    return f"<digest.{period.replace(':', '.')}.{user_id}@{domain}>"


def _greeting(display_name: str | None) -> str:
    return f"Bonjour {display_name}," if display_name else "Bonjour,"


def _url(base_url: str, link: str | None) -> str | None:
    return f"{base_url.rstrip('/')}{link}" if link else None


def _html_page(greeting: str, inner: str) -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head>'
        '<body style="font-family: Arial, sans-serif; color: #1e1e1e; line-height: 1.5">'
        f"<p>{html.escape(greeting)}</p>{inner}"
        f"<p>{html.escape(SIGNATURE)}</p>"
        f'<p style="color: #666; font-size: 12px">{html.escape(FOOTER)}</p>'
        "</body></html>"
    )


def render_notification(display_name: str | None, title: str, body: str, link: str | None, base_url: str) -> Rendered:
    url = _url(base_url, link)
    greeting = _greeting(display_name)
    text = f"{greeting}\n\n{body}\n"
    if url:
        text += f"\nPour voir le détail : {url}\n"
    text += f"\n{SIGNATURE}\n\n-- \n{FOOTER}\n"
    inner = f"<p><strong>{html.escape(title)}</strong></p><p>{html.escape(body)}</p>"
    if url:
        inner += f'<p><a href="{html.escape(url, quote=True)}">Voir le détail</a></p>'
    return Rendered(subject=title, text=text, html=_html_page(greeting, inner))


def render_digest(display_name: str | None, items: list[DigestItem], total: int, frequency: str,
                  base_url: str) -> Rendered:
    span = "de la journée" if frequency == "daily" else "de la semaine"
    if total == 1:
        subject = f"Votre résumé {span} : 1 notification non lue"
        intro = "Voici la notification que vous n'avez pas encore lue :"
    else:
        subject = f"Votre résumé {span} : {total} notifications non lues"
        intro = "Voici les notifications que vous n'avez pas encore lues :"
    greeting = _greeting(display_name)
    lines, html_items = [], []
    for item in items:
        url = _url(base_url, item.link)
        lines.append(f"- {item.title}\n  {item.body}" + (f"\n  {url}" if url else ""))
        entry = f"<strong>{html.escape(item.title)}</strong><br>{html.escape(item.body)}"
        if url:
            entry += f'<br><a href="{html.escape(url, quote=True)}">Voir le détail</a>'
        html_items.append(f"<li>{entry}</li>")
    more = total - len(items)
    tail = f"\n… et {more} autre{'s' if more > 1 else ''} à découvrir sur la plateforme.\n" if more > 0 else ""
    text = f"{greeting}\n\n{intro}\n\n" + "\n\n".join(lines) + f"\n{tail}\n{SIGNATURE}\n\n-- \n{FOOTER}\n"
    inner = f"<p>{html.escape(intro)}</p><ul>{''.join(html_items)}</ul>"
    if more > 0:
        inner += f"<p>{html.escape(tail.strip())}</p>"
    return Rendered(subject=subject, text=text, html=_html_page(greeting, inner))


