"""HTTP routes, one module per backend service plus operations.

Every module here that defines `router` is mounted by the app (ops first,
then posts, then by name), so adding a service's routes is adding a module.

Why posts second: FastAPI matches a request against the routes one by one,
router after router, and most requests are reads of posts and of the feed;
last (by name), a post read went through some fifty regular expressions
first, a fifth of the gateway's CPU time per read (issue 17). No path of one
router is a path of another (tests/unit/gateway/test_gateway_routes.py), so
the order changes which route is tried first, never which one answers.
"""
import importlib
import pkgutil

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names.sort(key=lambda name: (name != "ops", name != "posts"))
    routers = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            routers.append(module.router)
    return routers
