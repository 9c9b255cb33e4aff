"""Signing in and out, registering with an invitation, one's profile, data and account."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.context import Ctx, member, page
from web.gateway import GatewayProblem
from web.pages.common import seg, text, topics, values
from web.problems import FormErrors, form_errors

router = APIRouter()

REGISTER_FIELDS = {"invitation_code", "email", "password", "display_name"}
PROFILE_FIELDS = {"display_name", "bio", "topics"}


def local_target(target: str | None) -> str:
    """Where to go after signing in: a path of this site only."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


# The device token identity gives at each password sign-in (OWASP's device
# cookies): sent back with the next sign-ins, it keeps this browser known, so
# other people's failed logins do not lock its member out. Its own cookie,
# outside the session: it outlives signing out. Identity checks its signature,
# account and expiry (LOGIN_DEVICE_DAYS, 180 by default).
DEVICE_COOKIE = "appareil"
DEVICE_COOKIE_MAX_AGE = 180 * 86400
DEVICE_TOKEN_MAX = 200  # longer is no token of identity's (the gateway would answer 422)


def login_body(ctx: Ctx, email: str, password: str) -> dict:
    body = {"email": email, "password": password}
    device = ctx.request.cookies.get(DEVICE_COOKIE)
    if device and len(device) <= DEVICE_TOKEN_MAX:
        body["device_token"] = device
    return body


def keep_device(ctx: Ctx, response: Response, tokens: dict) -> Response:
    device = tokens.get("device_token")
    if device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_COOKIE_MAX_AGE, path="/", httponly=True,
                            samesite="lax", secure=ctx.settings.secure_cookies)
    return response


async def open_session(ctx: Ctx, tokens: dict) -> None:
    me = (await ctx.gateway.request("GET", "/v1/me", token=tokens["access_token"], client_ip=ctx.client_ip,
                                    request_id=ctx.request_id)).data
    ctx.session.sign_in(tokens, me, time.time())


@router.get("/connexion")
async def sign_in_form(ctx: Ctx = Depends(page), suite: str | None = None) -> Response:
    if ctx.user:
        return ctx.redirect(local_target(suite))
    return await ctx.render("account/sign_in.html", suite=local_target(suite))


@router.post("/connexion")
async def sign_in(ctx: Ctx = Depends(page)) -> Response:
    form = await ctx.form()
    email, password, target = text(form, "email"), str(form.get("password") or ""), local_target(text(form, "suite"))
    errors = FormErrors()
    if not email:
        errors.add("email", "Indiquez votre adresse e-mail.")
    if not password:
        errors.add("password", "Indiquez votre mot de passe.")
    if not errors:
        try:
            tokens = (await ctx.call("POST", "/v1/auth/token", json=login_body(ctx, email, password),
                                     anonymous=True)).data
            await open_session(ctx, tokens)
            return keep_device(ctx, ctx.redirect(target, f"Bonjour {ctx.session.user['display_name']} !"), tokens)
        except GatewayProblem as problem:
            if problem.status == 401:
                errors.summary = "Adresse e-mail ou mot de passe incorrect. Vérifiez-les et réessayez."
            elif problem.status == 429:
                errors.summary = ("Trop de tentatives de connexion. Patientez quelques minutes avant de réessayer.")
            else:
                errors = form_errors(problem.status, problem.problem, {"email", "password"})
    if not errors.summary:
        errors.summary = "Certains champs sont à corriger."
    return await ctx.render("account/sign_in.html", status_code=400, errors=errors, form={"email": email}, suite=target)


@router.post("/deconnexion")
async def sign_out(ctx: Ctx = Depends(page)) -> Response:
    await ctx.form()
    if ctx.session.signed_in and ctx.session.refresh_token:
        try:
            await ctx.call("POST", "/v1/auth/logout", json={"refresh_token": ctx.session.refresh_token})
        except Exception:  # signing out here must work even when the gateway does not answer
            pass
    ctx.session.sign_out()
    return ctx.redirect("/connexion", "Vous êtes déconnecté. À bientôt !")


@router.get("/inscription")
async def register_form(ctx: Ctx = Depends(page), code: str | None = None) -> Response:
    return await ctx.render("account/register.html", form={"invitation_code": code or ""})


@router.post("/inscription")
async def register(ctx: Ctx = Depends(page)) -> Response:
    form = await ctx.form()
    body = {
        "invitation_code": text(form, "invitation_code"), "email": text(form, "email"),
        "password": str(form.get("password") or ""), "display_name": text(form, "display_name"),
    }
    errors = FormErrors()
    labels = {"invitation_code": "Indiquez le code d'invitation reçu.", "email": "Indiquez votre adresse e-mail.",
              "password": "Choisissez un mot de passe.", "display_name": "Indiquez le nom affiché aux autres membres."}
    for name, message in labels.items():
        if not body[name]:
            errors.add(name, message)
    if not errors:
        try:
            await ctx.call("POST", "/v1/auth/register", json=body, anonymous=True,
                           idempotency_key=ctx.idempotency_key())
            tokens = (await ctx.call("POST", "/v1/auth/token", json=login_body(ctx, body["email"], body["password"]),
                                     anonymous=True)).data
            await open_session(ctx, tokens)
            return keep_device(ctx, ctx.redirect("/", "Bienvenue ! Votre compte est créé."), tokens)
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, REGISTER_FIELDS)
            if problem.status == 403:
                errors = FormErrors("Ce code d'invitation n'est pas valable (inconnu, déjà utilisé ou expiré). "
                                    "Demandez-en un nouveau à votre conseiller.",
                                    {"invitation_code": "Code inconnu, déjà utilisé ou expiré."})
            elif problem.status == 409:
                errors = FormErrors("Un compte existe déjà avec cette adresse e-mail. Connectez-vous plutôt.",
                                    {"email": "Adresse déjà utilisée."})
    if not errors.summary:
        errors.summary = "Certains champs sont à corriger."
    return await ctx.render("account/register.html", status_code=400, errors=errors, form=values(form))


@router.get("/profil")
async def profile(ctx: Ctx = Depends(member)) -> Response:
    me = await ctx.get("/v1/me")
    return await ctx.render("account/profile.html", me=me, form=me, all_topics=await topics(ctx))


@router.post("/profil")
async def update_profile(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    body = {"display_name": text(form, "display_name"), "bio": text(form, "bio"),
            "topics": [str(t) for t in form.getlist("topics")]}
    errors = FormErrors()
    if not body["display_name"]:
        errors.add("display_name", "Indiquez le nom affiché aux autres membres.")
    if not errors:
        try:
            me = await ctx.patch("/v1/me", body)
            ctx.session.user["display_name"] = me.get("display_name", body["display_name"])
            ctx.session.user["follows_topics"] = bool(me.get("topics", body["topics"]))
            ctx.session.changed = True
            if me.get("profile_moderation") == "pending":  # screened before others see it (issue 13)
                return ctx.redirect("/profil", "Votre profil est enregistré. Votre nom et votre présentation "
                                               "seront visibles des autres membres après vérification.")
            return ctx.redirect("/profil", "Votre profil est enregistré.")
        except GatewayProblem as problem:
            errors = form_errors(problem.status, problem.problem, PROFILE_FIELDS)
    if not errors.summary:
        errors.summary = "Certains champs sont à corriger."
    me = {**ctx.user, **body}
    return await ctx.render("account/profile.html", status_code=400, me=me, form=body, errors=errors,
                            all_topics=await topics(ctx))


@router.get("/profil/donnees")
async def export_data(ctx: Ctx = Depends(member)) -> Response:
    data = await ctx.get("/v1/me/export")
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mes-donnees.json"', "Cache-Control": "no-store"},
    )


@router.get("/profil/supprimer")
async def delete_account_form(ctx: Ctx = Depends(member)) -> Response:
    return await ctx.render("account/delete.html")


@router.post("/profil/supprimer")
async def delete_account(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    if text(form, "confirm") != "oui":
        errors = FormErrors("Cochez la case pour confirmer la suppression.",
                            {"confirm": "Cochez cette case pour confirmer."})
        return await ctx.render("account/delete.html", status_code=400, errors=errors)
    await ctx.delete("/v1/me")
    ctx.session.sign_out()
    return ctx.redirect("/connexion", "Votre compte et vos données sont supprimés. Merci d'avoir participé.")


@router.get("/membres/{user_id}")
async def public_profile(user_id: str, ctx: Ctx = Depends(member)) -> Response:
    person = await ctx.get(f"/v1/users/{seg(user_id)}")
    posts = await ctx.get("/v1/posts", author=seg(user_id), limit=10)
    return await ctx.render("account/member.html", person=person, posts=posts.get("items", []))
