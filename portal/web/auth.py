"""Who is asking: helpers for controllers (the user, the acting `Actor`), and guards by role."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from portal.core.actor import Actor, Principal
from portal.core.errors import Forbidden
from portal.web.sessions import PortalRequest, state_of


def current_user(request: PortalRequest) -> Principal:
    """The signed-in user; anonymous visitors are sent to the sign-in page."""
    user = state_of(request).user
    if user is None:
        raise NotAuthorizedException()
    return user


def optional_user(request: PortalRequest) -> Principal | None:
    return state_of(request).user


def actor(request: PortalRequest) -> Actor:
    return state_of(request).actor


def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user: Principal | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_staff:
        raise Forbidden("This page is for program staff.")


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user: Principal | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_admin:
        raise Forbidden("This page is for administrators.")
