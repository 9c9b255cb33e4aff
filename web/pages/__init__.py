"""Page routers, one module per area of the site."""

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    from web.pages import access, account, admin, events, invitations, mentoring, moderation, notifications, posts

    return [account.router, access.router, invitations.router, posts.router, notifications.router, events.router, mentoring.router,
            moderation.router, admin.router]
