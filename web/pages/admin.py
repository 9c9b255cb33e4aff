"""The national team: agencies (list and opening a new one), and the
company space's starting page (what a company can publish)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.context import Ctx, role_in
from web.gateway import GatewayProblem
from web.pages.common import agencies, text, values
from web.problems import FormErrors, form_errors

router = APIRouter()
admin = role_in("admin")


@router.get("/admin/agences")
async def list_agencies(ctx: Ctx = Depends(admin)) -> Response:
    ctx.app_state.topics_cache.pop("/v1/agencies", None)
    return await ctx.render("admin/agencies.html", agencies=await agencies(ctx), form={})


@router.post("/admin/agences")
async def create_agency(ctx: Ctx = Depends(admin)) -> Response:
    form = await ctx.form()
    body = {"code": text(form, "code").upper(), "name": text(form, "name"), "region": text(form, "region")}
    errors = FormErrors()
    for name, message in (("code", "Indiquez le code de l'agence."), ("name", "Indiquez son nom."),
                          ("region", "Indiquez sa région.")):
        if not body[name]:
            errors.add(name, message)
    if not errors:
        try:
            await ctx.post("/v1/agencies", body, creates=True)
            ctx.app_state.topics_cache.pop("/v1/agencies", None)
            return ctx.redirect("/admin/agences", f"L'agence {body['name']} est ouverte.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, {"code", "name", "region"})
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("admin/agencies.html", status_code=400, agencies=await agencies(ctx), form=values(form),
                            errors=errors)


@router.get("/entreprise")
async def company_space(ctx: Ctx = Depends(role_in("company", "admin"))) -> Response:
    mine = await ctx.get("/v1/posts", author=ctx.user["id"], limit=20)
    return await ctx.render("admin/company.html", posts=mine["items"])
