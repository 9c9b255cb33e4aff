"""Advisors (and the national team): the agency's moderation queue, reports
and appeals, sanctions, the audit log, questions without an answer, the
agency's figures; inviting job seekers."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web import charts, labels
from web.context import Ctx, staff
from web.gateway import GatewayProblem
from web.pages.common import seg, text, values
from web.problems import FormErrors, form_errors

router = APIRouter()


@router.get("/conseiller/moderation")
async def queue(ctx: Ctx = Depends(staff), source: str = "", apres: str | None = None) -> Response:
    page = await ctx.get("/v1/moderation/queue", limit=50, cursor=apres)
    cases = [c for c in page["items"] if not source or c.get("source") == source]
    return await ctx.render("moderation/queue.html", cases=cases, source=source, next_cursor=page.get("next_cursor"))


@router.post("/conseiller/moderation/{case_id}")
async def decide(case_id: str, ctx: Ctx = Depends(staff)) -> Response:
    case_id = seg(case_id)
    form = await ctx.form()
    action, reason = text(form, "action"), text(form, "reason")
    source = text(form, "source")
    back = "/conseiller/moderation" + (f"?source={source}" if source in labels.CASE_SOURCES else "")
    errors = FormErrors()
    if action not in labels.MODERATION_ACTIONS:
        errors.add(f"action-{case_id}", "Choisissez une décision.")
    if not reason:
        errors.add(f"reason-{case_id}", "Indiquez la raison : elle est envoyée à l'auteur.")
    if not errors:
        try:
            await ctx.post(f"/v1/moderation/cases/{case_id}/decision", {"action": action, "reason": reason})
            return ctx.redirect(back, "Décision enregistrée ; l'auteur et les personnes qui ont signalé sont prévenus.")
        except GatewayProblem as problem:
            if problem.status == 404:
                raise
            errors = form_errors(problem.status, problem.problem)
    page = await ctx.get("/v1/moderation/queue", limit=50)
    cases = [c for c in page["items"] if not source or c.get("source") == source]
    errors.summary = errors.summary or "La décision n'est pas complète."
    return await ctx.render("moderation/queue.html", status_code=400, cases=cases, source=source,
                            next_cursor=page.get("next_cursor"), errors=errors, failed_case=case_id,
                            form=values(form))


@router.get("/conseiller/sanctions")
async def sanction_form(ctx: Ctx = Depends(staff), membre: str = "") -> Response:
    person = await ctx.get(f"/v1/users/{seg(membre)}") if membre else None
    return await ctx.render("moderation/sanction.html", person=person, form={"user_id": membre, "duration_hours": "24"})


@router.post("/conseiller/sanctions")
async def impose(ctx: Ctx = Depends(staff)) -> Response:
    form = await ctx.form()
    kind, reason, user_id, hours = text(form, "type"), text(form, "reason"), text(form, "user_id"), text(form, "duration_hours")
    errors = FormErrors()
    if kind not in labels.SANCTIONS:
        errors.add("type", "Choisissez le type de sanction.")
    if not reason:
        errors.add("reason", "Indiquez la raison : elle est envoyée au membre.")
    if not user_id:
        errors.add("user_id", "Indiquez le membre concerné.")
    body = {"user_id": user_id, "type": kind, "reason": reason}
    if kind in ("mute", "suspend"):
        try:
            body["duration_hours"] = float(hours.replace(",", "."))
        except ValueError:
            errors.add("duration_hours", "Indiquez une durée en heures.")
    if not errors:
        try:
            await ctx.post("/v1/moderation/sanctions", body, creates=True)
            return ctx.redirect("/conseiller/journal", "La sanction est enregistrée ; le membre est prévenu.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, {"user_id", "type", "duration_hours", "reason"})
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("moderation/sanction.html", status_code=400, person=None, form=values(form), errors=errors)


@router.get("/conseiller/journal")
async def audit(ctx: Ctx = Depends(staff), cible: str = "", apres: str | None = None) -> Response:
    page = await ctx.get("/v1/moderation/audit", target_id=seg(cible) if cible else None, limit=50, cursor=apres)
    return await ctx.render("moderation/audit.html", entries=page["items"], next_cursor=page.get("next_cursor"),
                            cible=cible)


@router.get("/conseiller/sans-reponse")
async def unanswered(ctx: Ctx = Depends(staff), apres: str | None = None) -> Response:
    agency = ctx.user.get("agency_code")
    page = await ctx.get("/v1/posts", kind="question", agency=agency, unanswered="true", limit=30, cursor=apres)
    return await ctx.render("moderation/unanswered.html", posts=page["items"], next_cursor=page.get("next_cursor"))


@router.get("/conseiller/indicateurs")
async def kpis(ctx: Ctx = Depends(staff), jours: int = 30) -> Response:
    days = jours if jours in (7, 30, 90) else 30
    today = date.today()
    query = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
    if ctx.role == "advisor":
        query["agency"] = ctx.user.get("agency_code")
    figures = await ctx.get("/v1/analytics/kpis", **query)
    daily = await ctx.get("/v1/analytics/kpis/daily", **query)
    rows = daily.get("items", [])
    return await ctx.render("moderation/kpis.html", figures=figures, days=days, rows=rows,
                            panels=charts.kpi_panels(rows))


@router.get("/invitations/nouvelle")
async def invitation_form(ctx: Ctx = Depends(staff)) -> Response:
    return await ctx.render("admin/invitation.html", form={"role": "job_seeker", "max_uses": "1", "expires_in_days": "14",
                                                           "agency_code": ctx.user.get("agency_code") or ""},
                            created=None, all_agencies=await _agencies(ctx))


async def _agencies(ctx: Ctx):
    from web.pages.common import agencies

    return await agencies(ctx)


@router.post("/invitations/nouvelle")
async def create_invitation(ctx: Ctx = Depends(staff)) -> Response:
    form = await ctx.form()
    role = text(form, "role") if ctx.role == "admin" else "job_seeker"
    errors = FormErrors()
    body: dict = {"role": role}
    agency = text(form, "agency_code") if ctx.role == "admin" else ctx.user.get("agency_code")
    if agency:
        body["agency_code"] = agency
    for name in ("organization", "email"):
        if text(form, name):
            body[name] = text(form, name)
    for name, default in (("max_uses", 1), ("expires_in_days", 14)):
        raw = text(form, name) or str(default)
        if not raw.isdigit():
            errors.add(name, "Indiquez un nombre entier.")
        else:
            body[name] = int(raw)
    created = None
    if not errors:
        try:
            created = await ctx.post("/v1/invitations", body, creates=True)
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem,
                                 {"role", "agency_code", "organization", "email", "max_uses", "expires_in_days"})
    if errors:
        errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("admin/invitation.html", status_code=400 if errors else 201, form=values(form),
                            errors=errors or None, created=created, all_agencies=await _agencies(ctx))
