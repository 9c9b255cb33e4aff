"""HTTP routes, one module per backend service plus operations.

Every module here that defines `router` is mounted by the app (ops first,
then by name), so adding a service's routes is adding a module.
"""
import importlib
import pkgutil

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names.sort(key=lambda name: name != "ops")
    routers = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            routers.append(module.router)
    return routers
