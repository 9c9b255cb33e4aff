"""Jinja2 templates and the filters pages use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from web import dates, labels


# Notifications link to the API's resources; each has its page here.
API_TO_PAGE = [
    (re.compile(r"^/v1/posts/([A-Za-z0-9_-]+)$"), "/publications/{0}"),
    (re.compile(r"^/v1/events/([A-Za-z0-9_-]+)$"), "/evenements/{0}"),
    (re.compile(r"^/v1/mentoring/requests(/[A-Za-z0-9_-]+)?$"), "/mentorat/demandes"),
    (re.compile(r"^/v1/mentors$"), "/mentorat"),
    (re.compile(r"^/v1/me$"), "/profil"),
    (re.compile(r"^/v1/moderation/queue$"), "/conseiller/moderation"),
]


def safe_local_link(link: str | None) -> str | None:
    """A notification's link as a page of this site, or None (never an open
    redirect to another site)."""
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    for pattern, page in API_TO_PAGE:
        match = pattern.match(parts.path)
        if match:
            return page.format(*match.groups())
    return None if parts.path.startswith("/v1/") else link


def query(**values: Any) -> str:
    clean = {k: v for k, v in values.items() if v not in (None, "", False)}
    return ("?" + urlencode(clean)) if clean else ""


def make_templates(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        when=dates.when, ago=dates.ago, iso=dates.iso, day=dates.day, local_input=dates.local_input,
        kind=labels.post_kind, event_kind=labels.event_kind, role=labels.role, status=labels.post_status,
        reason=labels.report_reason, source=labels.case_source, action=labels.moderation_action,
        notification_type=labels.notification_type, mentoring_status=labels.mentoring_status,
        percent=labels.percent, device=labels.device, number=labels.number, plural=labels.plural,
    )
    env.globals.update(query=query, labels=labels, safe_local_link=safe_local_link)
    return env
