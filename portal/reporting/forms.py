"""Reading the report page's form."""

from __future__ import annotations

from typing import Any

from portal.applications.forms import draft_input
from portal.web.forms import text

__all__ = ["draft_input", "wants_submit"]


def wants_submit(data: dict[str, Any]) -> bool:
    """Which button was pressed: "Submit report" (action=submit) or "Save draft"."""
    return text(data, "action", 20) == "submit"
