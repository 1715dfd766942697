"""Domain errors. Controllers never build error responses themselves: these map to HTML pages in web/errors.py."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    title = "Something is wrong with this request"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does (strangers get 404, not 403)."""

    status_code = 404
    title = "Page not found"


class Forbidden(DomainError):
    """The user may see the object but lacks the right for this action."""

    status_code = 403
    title = "You do not have permission to do this"


class Conflict(DomainError):
    """The action does not fit the object's current state (e.g. submitting twice, a stale edit)."""

    status_code = 409
    title = "This changed since you loaded it"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many attempts"


class Invalid(DomainError):
    """Input failed validation; `errors` maps each field name to its message."""

    status_code = 422
    title = "Please correct the errors below"

    def __init__(self, errors: dict[str, str], message: str = "") -> None:
        super().__init__(message or self.title)
        self.errors = errors
