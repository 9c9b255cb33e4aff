"""The feed, search, a post and its conversation, publishing, editing, reporting."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web import labels
from web.context import Ctx, member
from web.gateway import GatewayProblem
from web.pages.common import lines, seg, text, topic_labels, topics, values
from web.problems import FormErrors, form_errors

router = APIRouter()

POST_FIELDS = {"kind", "title", "body", "topics", "video_url", "rome_code", "skills", "trainings", "bridges", "hiring"}
REPORT_FIELDS = {"reason", "detail"}


def allowed_kinds(role: str | None) -> tuple[str, ...]:
    if role in ("company", "advisor", "admin"):
        return labels.MEMBER_KINDS + labels.STAFF_KINDS
    return labels.MEMBER_KINDS


WAITING_CACHE_SECONDS = 15.0


async def waiting_questions(ctx: Ctx, agency: str) -> list[dict[str, Any]]:
    """The agency's questions still waiting for an answer: the same for every
    member of the agency, so kept a few seconds rather than asked on every feed."""
    cache: dict[str, tuple[float, list]] = ctx.app_state.waiting_cache
    hit = cache.get(agency)
    if hit and time.monotonic() - hit[0] < WAITING_CACHE_SECONDS:
        return hit[1]
    page = await ctx.get("/v1/posts", kind="question", agency=agency, unanswered="true", limit=5)
    cache[agency] = (time.monotonic(), page.get("items", []))
    return cache[agency][1]


@router.get("/")
async def home(ctx: Ctx = Depends(member), apres: str | None = None) -> Response:
    agency = ctx.user.get("agency_code")
    feed_call = ctx.get("/v1/feed", limit=20, cursor=apres)
    waiting_call = waiting_questions(ctx, agency) if agency and not apres else asyncio.sleep(0, result=[])
    feed, waiting = await asyncio.gather(feed_call, waiting_call)
    return await ctx.render(
        "posts/home.html", posts=feed["items"], next_cursor=feed.get("next_cursor"),
        new_member=not ctx.user.get("follows_topics"), waiting=waiting, labels_by_slug=await topic_labels(ctx),
        first_page=not apres,
    )


@router.get("/recherche")
async def search(ctx: Ctx = Depends(member), q: str = "", type: str = "", theme: str = "",
                 apres: str | None = None) -> Response:
    q = q.strip()[:200]
    kind = type if type in labels.POST_KINDS else None
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    if q or kind or theme:
        found = await ctx.get("/v1/posts", q=q or None, kind=kind, topic=theme or None, limit=20, cursor=apres)
    return await ctx.render("posts/search.html", q=q, kind=kind or "", theme=theme, posts=found["items"],
                            next_cursor=found.get("next_cursor"), searched=bool(q or kind or theme),
                            all_topics=await topics(ctx), labels_by_slug=await topic_labels(ctx))


@router.get("/publications/{post_id}")
async def show_post(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    return await render_post(ctx, seg(post_id))


async def render_post(ctx: Ctx, post_id: str, status_code: int = 200, comment_errors: FormErrors | None = None,
                      comment_form: dict | None = None) -> Response:
    post, comments = await asyncio.gather(
        ctx.get(f"/v1/posts/{post_id}"), ctx.get(f"/v1/posts/{post_id}/comments", limit=100)
    )
    by_slug = await topic_labels(ctx)
    mine = bool(ctx.user and (post.get("author") or {}).get("id") == ctx.user["id"])
    can_accept = post["kind"] == "question" and (mine or ctx.is_staff)
    return await ctx.render(
        "posts/post.html", status_code=status_code, post=post, comments=comments["items"], mine=mine,
        can_accept=can_accept, labels_by_slug=by_slug, errors=comment_errors, form=comment_form or {},
        rome_label=by_slug.get(((post.get("details") or {}).get("rome_code")) or "", ""),
    )


@router.post("/publications/{post_id}/commentaires")
async def add_comment(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post_id = seg(post_id)
    form = await ctx.form()
    body = text(form, "body")
    if not body:
        errors = FormErrors("Écrivez votre réponse avant de l'envoyer.", {"body": "Écrivez votre réponse."})
        return await render_post(ctx, post_id, 400, errors, values(form))
    try:
        await ctx.post(f"/v1/posts/{post_id}/comments", {"body": body}, creates=True)
    except GatewayProblem as problem:
        if problem.status == 404:
            raise
        errors = form_errors(problem.status, problem.problem, {"body"})
        return await render_post(ctx, post_id, 400, errors, values(form))
    return ctx.redirect(f"/publications/{post_id}#commentaires",
                        "Merci ! Votre réponse est envoyée ; elle s'affiche pour tous après une vérification rapide.")


@router.post("/publications/{post_id}/reactions")
async def react(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post_id = seg(post_id)
    form = await ctx.form()
    kind = text(form, "type")
    if kind not in labels.REACTIONS:
        return ctx.redirect(f"/publications/{post_id}")
    if text(form, "action") == "remove":
        await ctx.delete(f"/v1/posts/{post_id}/reactions/{kind}")
    else:
        await ctx.post(f"/v1/posts/{post_id}/reactions", {"type": kind})
    return ctx.redirect(f"/publications/{post_id}#reactions")


@router.post("/publications/{post_id}/accepter")
async def accept(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post_id = seg(post_id)
    form = await ctx.form()
    await ctx.post(f"/v1/posts/{post_id}/accept", {"comment_id": text(form, "comment_id")})
    return ctx.redirect(f"/publications/{post_id}#commentaires", "La réponse est marquée comme acceptée. Merci !")


@router.post("/publications/{post_id}/epingle")
async def pin(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post_id = seg(post_id)
    form = await ctx.form()
    if text(form, "action") == "unpin":
        await ctx.delete(f"/v1/posts/{post_id}/pin")
        message = "La publication n'est plus épinglée."
    else:
        await ctx.post(f"/v1/posts/{post_id}/pin")
        message = "La publication est épinglée en tête du fil de l'agence."
    return ctx.redirect(f"/publications/{post_id}", message)


# ---------------------------------------------------------------- publishing

def post_body(form, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "title": text(form, "title"), "body": text(form, "body"),
                            "topics": [str(t) for t in form.getlist("topics")]}
    if kind == "video":
        body["video_url"] = text(form, "video_url")
    if kind == "job_info":
        details: dict[str, Any] = {
            "skills": lines(text(form, "skills")), "trainings": lines(text(form, "trainings")),
            "bridges": lines(text(form, "bridges")), "hiring": text(form, "hiring") == "oui",
        }
        if text(form, "rome_code"):
            details["rome_code"] = text(form, "rome_code").upper()
        body["details"] = details
    return body


def missing_fields(body: dict[str, Any]) -> FormErrors:
    errors = FormErrors()
    if not body.get("title"):
        errors.add("title", "Donnez un titre.")
    if not body.get("body"):
        errors.add("body", "Écrivez le texte.")
    if body["kind"] == "video" and not body.get("video_url"):
        errors.add("video_url", "Indiquez le lien de la vidéo (https://…).")
    return errors


@router.get("/publier")
async def new_post_form(ctx: Ctx = Depends(member), type: str = "question", titre: str = "") -> Response:
    kind = type if type in allowed_kinds(ctx.role) else "question"
    return await ctx.render("posts/edit.html", kind=kind, kinds=allowed_kinds(ctx.role), form={"title": titre[:200]},
                            all_topics=await topics(ctx), editing=None)


@router.post("/publier")
async def publish(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    kind = text(form, "kind")
    kind = kind if kind in allowed_kinds(ctx.role) else "question"
    body = post_body(form, kind)
    errors = missing_fields(body)
    if not errors:
        try:
            created = await ctx.post("/v1/posts", body, creates=True)
            return ctx.redirect(
                f"/publications/{created['id']}",
                "Merci ! Votre publication est envoyée ; elle s'affiche pour tous après une vérification rapide.",
            )
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, POST_FIELDS)
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("posts/edit.html", status_code=400, kind=kind, kinds=allowed_kinds(ctx.role),
                            form=values(form), errors=errors, all_topics=await topics(ctx), editing=None)


@router.get("/publications/{post_id}/modifier")
async def edit_form(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post = await ctx.get(f"/v1/posts/{seg(post_id)}")
    return await ctx.render("posts/edit.html", kind=post["kind"], kinds=(post["kind"],), form=post,
                            all_topics=await topics(ctx), editing=post)


@router.post("/publications/{post_id}/modifier")
async def edit(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post_id = seg(post_id)
    form = await ctx.form()
    body = {"title": text(form, "title"), "body": text(form, "body"), "topics": [str(t) for t in form.getlist("topics")]}
    errors = missing_fields({**body, "kind": "question"})
    if not errors:
        try:
            await ctx.patch(f"/v1/posts/{post_id}", body)
            return ctx.redirect(f"/publications/{post_id}",
                                "Vos modifications sont envoyées ; elles s'affichent après une vérification rapide.")
        except GatewayProblem as problem:
            if problem.status in (403, 404):
                raise
            errors = form_errors(problem.status, problem.problem, POST_FIELDS)
    post = await ctx.get(f"/v1/posts/{post_id}")
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("posts/edit.html", status_code=400, kind=post["kind"], kinds=(post["kind"],),
                            form=values(form), errors=errors, all_topics=await topics(ctx), editing=post)


@router.get("/publications/{post_id}/supprimer")
async def delete_form(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    post = await ctx.get(f"/v1/posts/{seg(post_id)}")
    return await ctx.render("posts/delete.html", post=post)


@router.post("/publications/{post_id}/supprimer")
async def delete(post_id: str, ctx: Ctx = Depends(member)) -> Response:
    await ctx.form()
    await ctx.delete(f"/v1/posts/{seg(post_id)}")
    return ctx.redirect("/", "La publication est supprimée.")


# ---------------------------------------------------------------- reports

@router.get("/signaler")
async def report_form(ctx: Ctx = Depends(member), cible: str = "post", id: str = "", publication: str = "") -> Response:
    target_type = "comment" if cible == "comment" else "post"
    return await ctx.render("posts/report.html", target_type=target_type, target_id=seg(id),
                            post_id=seg(publication or id))


@router.post("/signaler")
async def report(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    target_type = "comment" if text(form, "target_type") == "comment" else "post"
    target_id, post_id = seg(text(form, "target_id")), seg(text(form, "post_id"))
    reason = text(form, "reason")
    errors = FormErrors()
    if reason not in labels.REPORT_REASONS:
        errors.add("reason", "Choisissez la raison du signalement.")
    if not errors:
        body = {"target_type": target_type, "target_id": target_id, "reason": reason}
        if text(form, "detail"):
            body["detail"] = text(form, "detail")
        try:
            await ctx.post("/v1/reports", body, creates=True)
            return ctx.redirect(f"/publications/{post_id}",
                                "Merci pour votre signalement. L'équipe de modération va l'examiner ; "
                                "vous serez prévenu de la suite.")
        except GatewayProblem as problem:
            if problem.status == 409:
                return ctx.redirect(f"/publications/{post_id}", "Vous avez déjà signalé ce contenu : merci, c'est noté.")
            errors = form_errors(problem.status, problem.problem, REPORT_FIELDS)
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("posts/report.html", status_code=400, target_type=target_type, target_id=target_id,
                            post_id=post_id, form=values(form), errors=errors)
