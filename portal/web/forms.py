"""Reading submitted forms safely: malformed bodies become empty forms, never 500s."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from portal.web.errors import BodyTooLarge
from portal.web.sessions import PortalRequest

MAX_FIELD_CHARS = 100_000


async def read_form(request: PortalRequest) -> dict[str, Any]:
    """The form as a dict: single values as str, repeated names as lists, files as UploadFile."""
    try:
        form = await request.form()
    except RequestEntityTooLarge as exc:  # over the app's limit: say so (413), not "Choose a file"
        raise BodyTooLarge(request.route_handler.resolve_request_max_body_size()) from exc
    except Exception:  # a malformed body reads as an empty form; validation then says what is missing
        return {}
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not isinstance(value, (str, UploadFile)):
            continue
        if isinstance(value, str):
            value = value.replace("\x00", "")[:MAX_FIELD_CHARS]
        if key in data:
            existing = data[key]
            data[key] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            data[key] = value
    return data


def text(data: dict[str, Any], key: str, limit: int = 1000) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip()[:limit] if isinstance(value, str) else ""


def values(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]
