"""Invitations already made: their use, and revoking one (advisors see their
agency's, admins all). Creating one is on /invitations/nouvelle."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.context import Ctx, staff
from web.gateway import GatewayProblem
from web.pages.common import seg

router = APIRouter()


@router.get("/invitations")
async def list_invitations(ctx: Ctx = Depends(staff), toutes: str = "", apres: str | None = None) -> Response:
    show_all = toutes == "1"
    page = await ctx.get("/v1/invitations", active=None if show_all else "true", cursor=apres)
    return await ctx.render("admin/invitations.html", invitations=page["items"], next_cursor=page.get("next_cursor"),
                            show_all=show_all)


@router.post("/invitations/{code}/revoquer")
async def revoke_invitation(code: str, ctx: Ctx = Depends(staff)) -> Response:
    await ctx.form()
    try:
        await ctx.delete(f"/v1/invitations/{seg(code)}")
    except GatewayProblem as problem:
        if problem.status not in (403, 404):
            raise
        # An advisor sees their agency's invitations, but revokes only those
        # made in their agency (not the national team's).
        return ctx.redirect("/invitations", "Seuls les conseillers de l'agence qui a créé cette invitation, "
                                            "ou l'équipe nationale, peuvent la révoquer.")
    return ctx.redirect("/invitations", f"L'invitation {code} est révoquée : elle ne permet plus de s'inscrire.")
