"""Mentoring: find a mentor by topic, send a request, follow it; mentors
(companies) publish their profile and answer requests."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.context import Ctx, member, role_in
from web.gateway import GatewayProblem
from web.pages.common import seg, text, topic_labels, topics, values
from web.problems import FormErrors, form_errors

router = APIRouter()


@router.get("/mentorat")
async def mentors(ctx: Ctx = Depends(member), theme: str = "", apres: str | None = None) -> Response:
    page = await ctx.get("/v1/mentors", topic=theme or None, cursor=apres)
    return await ctx.render("mentoring/mentors.html", mentors=page["items"], next_cursor=page.get("next_cursor"),
                            theme=theme, all_topics=await topics(ctx), labels_by_slug=await topic_labels(ctx))


@router.get("/mentorat/demande")
async def request_form(ctx: Ctx = Depends(role_in("job_seeker")), mentor: str = "") -> Response:
    return await ctx.render("mentoring/request.html", mentor_id=seg(mentor), form={})


@router.post("/mentorat/demande")
async def send_request(ctx: Ctx = Depends(role_in("job_seeker"))) -> Response:
    form = await ctx.form()
    mentor_id, message = seg(text(form, "mentor_id")), text(form, "message")
    errors = FormErrors()
    if not message:
        errors.add("message", "Présentez-vous et dites ce que vous attendez du mentorat.")
    if not errors:
        try:
            await ctx.post("/v1/mentoring/requests", {"mentor_id": mentor_id, "message": message}, creates=True)
            return ctx.redirect("/mentorat/demandes", "Votre demande est envoyée : elle parvient au mentor après la "
                                                          "vérification de votre message. Il vous répondra ici.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, {"message", "mentor_id"})
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("mentoring/request.html", status_code=400, mentor_id=mentor_id, form=values(form),
                            errors=errors)


@router.get("/mentorat/demandes")
async def my_requests(ctx: Ctx = Depends(member)) -> Response:
    page = await ctx.get("/v1/mentoring/requests", limit=50)
    return await ctx.render("mentoring/requests.html", requests=page["items"])


@router.post("/mentorat/demandes/{request_id}/{answer}")
async def answer_request(request_id: str, answer: str, ctx: Ctx = Depends(member)) -> Response:
    request_id = seg(request_id)
    form = await ctx.form()
    actions = {"accepter": ("accept", "Vous avez accepté la demande : le mentorat commence."),
               "decliner": ("decline", "Vous avez décliné la demande ; la personne est prévenue."),
               "terminer": ("end", "Le mentorat est terminé. Merci pour cet accompagnement.")}
    if answer not in actions:
        return ctx.redirect("/mentorat/demandes")
    action, message = actions[answer]
    body = {"reason": text(form, "reason")} if action == "end" and text(form, "reason") else {}
    try:
        await ctx.post(f"/v1/mentoring/requests/{request_id}/{action}", body)
    except GatewayProblem as problem:
        if problem.status == 409:
            return ctx.redirect("/mentorat/demandes", form_errors(409, problem.problem).summary)
        raise
    return ctx.redirect("/mentorat/demandes", message)


@router.get("/mentorat/profil")
async def mentor_profile_form(ctx: Ctx = Depends(role_in("company"))) -> Response:
    return await ctx.render("mentoring/profile.html", form={"capacity": "3"}, all_topics=await topics(ctx))


@router.post("/mentorat/profil")
async def create_mentor_profile(ctx: Ctx = Depends(role_in("company"))) -> Response:
    form = await ctx.form()
    errors = FormErrors()
    chosen = [str(t) for t in form.getlist("topics")]
    capacity = text(form, "capacity")
    if not chosen:
        errors.add("topics", "Choisissez au moins un thème.")
    if not text(form, "bio"):
        errors.add("bio", "Présentez votre parcours en quelques lignes.")
    if not capacity.isdigit() or not 1 <= int(capacity) <= 50:
        errors.add("capacity", "Indiquez un nombre entre 1 et 50.")
    if not errors:
        try:
            await ctx.post("/v1/mentors", {"topics": chosen, "bio": text(form, "bio"), "capacity": int(capacity)},
                           creates=True)
            return ctx.redirect("/mentorat/demandes", "Votre profil de mentor est publié.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, {"topics", "bio", "capacity"})
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("mentoring/profile.html", status_code=400, form=values(form), errors=errors,
                            all_topics=await topics(ctx))
