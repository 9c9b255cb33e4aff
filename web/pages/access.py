"""Getting into one's account and keeping it safe: a forgotten password, a
sign-in link by e-mail, changing the password, and the list of one's logins
(to sign out a lost phone).

A link from an e-mail only opens a page with a button: mail scanners that
fetch links must not spend a single-use token.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.context import Ctx, member, page
from web.gateway import GatewayProblem
from web.pages.account import open_session
from web.pages.common import seg, text
from web.problems import FormErrors, form_errors

router = APIRouter()

SENT = ("Si un compte existe avec l'adresse {email}, un e-mail vient de lui être envoyé. "
        "Pensez à regarder dans les courriers indésirables.")
TOO_MANY = "Trop de demandes. Patientez une minute avant de réessayer."
LINK_SPENT = ("Ce lien n'est plus valable : il a déjà servi ou a expiré. Demandez-en un nouveau.")


async def _ask_for_email(ctx: Ctx, template: str, path: str) -> Response:
    """The two 'send me an e-mail' forms: the same answer whether the address
    has an account or not (the gateway's 202 says nothing either)."""
    form = await ctx.form()
    email = text(form, "email")
    if not email:
        return await ctx.render(template, status_code=400, form={},
                                errors=FormErrors("Indiquez votre adresse e-mail.",
                                                  {"email": "Indiquez votre adresse e-mail."}))
    try:
        await ctx.call("POST", path, json={"email": email}, anonymous=True)
    except GatewayProblem as problem:
        errors = form_errors(problem.status, problem.problem, {"email"})
        if problem.status == 429:
            errors.summary = TOO_MANY
        errors.summary = errors.summary or "L'adresse e-mail est à corriger."
        return await ctx.render(template, status_code=400, form={"email": email}, errors=errors)
    return await ctx.render(template, sent=SENT.format(email=email), form={})


@router.get("/mot-de-passe-oublie")
async def forgotten_password_form(ctx: Ctx = Depends(page)) -> Response:
    return await ctx.render("account/forgotten_password.html", form={})


@router.post("/mot-de-passe-oublie")
async def forgotten_password(ctx: Ctx = Depends(page)) -> Response:
    return await _ask_for_email(ctx, "account/forgotten_password.html", "/v1/auth/password-reset")


@router.get("/mot-de-passe/nouveau")
async def new_password_form(ctx: Ctx = Depends(page), token: str = "") -> Response:
    if not token:
        return ctx.redirect("/mot-de-passe-oublie")
    return await ctx.render("account/new_password.html", token=token)


@router.post("/mot-de-passe/nouveau")
async def new_password(ctx: Ctx = Depends(page)) -> Response:
    form = await ctx.form()
    token, password = text(form, "token"), str(form.get("new_password") or "")
    if not password:
        return await ctx.render("account/new_password.html", status_code=400, token=token,
                                errors=FormErrors("Choisissez un nouveau mot de passe.",
                                                  {"new_password": "Choisissez un nouveau mot de passe."}))
    try:
        await ctx.call("POST", "/v1/auth/password-reset/confirm", json={"token": token, "new_password": password},
                       anonymous=True)
    except GatewayProblem as problem:
        if problem.status == 400:
            return await ctx.render("account/forgotten_password.html", status_code=400, form={},
                                    errors=FormErrors(LINK_SPENT))
        errors = form_errors(problem.status, problem.problem, {"new_password"})
        errors.summary = errors.summary or "Le mot de passe est à corriger."
        return await ctx.render("account/new_password.html", status_code=400, token=token, errors=errors)
    ctx.session.sign_out()
    return ctx.redirect("/connexion", "Votre mot de passe est changé. Connectez-vous avec le nouveau.")


@router.get("/connexion/lien")
async def email_link(ctx: Ctx = Depends(page), token: str = "") -> Response:
    """Without a token: the form asking for a link; with one (from the
    e-mail): a button that signs in."""
    if token:
        return await ctx.render("account/email_link_confirm.html", token=token)
    return await ctx.render("account/email_link.html", form={})


@router.post("/connexion/lien")
async def ask_email_link(ctx: Ctx = Depends(page)) -> Response:
    return await _ask_for_email(ctx, "account/email_link.html", "/v1/auth/email-link")


@router.post("/connexion/lien/valider")
async def confirm_email_link(ctx: Ctx = Depends(page)) -> Response:
    form = await ctx.form()
    try:
        tokens = (await ctx.call("POST", "/v1/auth/email-link/confirm", json={"token": text(form, "token")},
                                 anonymous=True)).data
    except GatewayProblem as problem:
        errors = FormErrors(TOO_MANY if problem.status == 429 else LINK_SPENT)
        return await ctx.render("account/email_link.html", status_code=400, form={}, errors=errors)
    await open_session(ctx, tokens)
    return ctx.redirect("/", f"Bonjour {ctx.session.user['display_name']} !")


@router.get("/profil/mot-de-passe")
async def change_password_form(ctx: Ctx = Depends(member)) -> Response:
    return await ctx.render("account/change_password.html")


@router.post("/profil/mot-de-passe")
async def change_password(ctx: Ctx = Depends(member)) -> Response:
    form = await ctx.form()
    body = {"current_password": str(form.get("current_password") or ""),
            "new_password": str(form.get("new_password") or "")}
    errors = FormErrors()
    if not body["current_password"]:
        errors.add("current_password", "Indiquez votre mot de passe actuel.")
    if not body["new_password"]:
        errors.add("new_password", "Choisissez un nouveau mot de passe.")
    if not errors:
        try:
            await ctx.call("POST", "/v1/me/password", json=body)
            return ctx.redirect("/profil", "Votre mot de passe est changé. Vos autres connexions sont fermées.")
        except GatewayProblem as problem:
            if problem.status == 403:
                errors = FormErrors("Le mot de passe actuel n'est pas le bon.",
                                    {"current_password": "Ce n'est pas votre mot de passe actuel."})
            else:
                errors = form_errors(problem.status, problem.problem, set(body))
    errors.summary = errors.summary or "Certains champs sont à corriger."
    return await ctx.render("account/change_password.html", status_code=400, errors=errors)


@router.get("/profil/connexions")
async def sessions(ctx: Ctx = Depends(member)) -> Response:
    logins = await ctx.get("/v1/me/sessions")
    items = logins.get("items", logins) if isinstance(logins, dict) else logins
    return await ctx.render("account/sessions.html", logins=items)


@router.post("/profil/connexions/{session_id}/fermer")
async def end_session(session_id: str, ctx: Ctx = Depends(member)) -> Response:
    await ctx.form()
    await ctx.delete(f"/v1/me/sessions/{seg(session_id)}")
    return ctx.redirect("/profil/connexions", "Cette connexion est fermée : il faudra s'y reconnecter.")
