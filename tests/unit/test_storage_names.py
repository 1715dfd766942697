"""The uploaded file's name: what is refused (storage.name_problem) and what is shown (storage.display_name)."""

from __future__ import annotations

import pytest

from portal.core import storage
from portal.core.storage import display_name, name_problem


@pytest.mark.parametrize("raw, shown", [
    ("budget.pdf", "budget.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\ann\\budget.pdf", "budget.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("bud\x00get\x1b.pdf", "budget.pdf"),
    ("..", "upload"),
    ("  .hidden.pdf ", "hidden.pdf"),
    ("Plan  de\u00a0travail.pdf", "Plan de travail.pdf"),
])
def test_display_name_strips_paths_controls_and_direction_overrides(raw, shown):
    assert display_name(raw) == shown


def test_display_name_of_a_long_name_keeps_the_extension():
    shown = display_name("a" * 300 + ".pdf")
    assert len(shown) == 120
    assert shown.endswith("a….pdf")


@pytest.mark.parametrize("name, kind", [("budget.pdf", storage.PDF), ("Budget.PDF", storage.PDF),
                                        ("budget", storage.PDF), ("photo.jpeg", storage.JPEG),
                                        ("plan.v2.docx", storage.DOCX), ("l'été 2027.pdf", storage.PDF)])
def test_name_problem_accepts_plain_names(name, kind):
    assert name_problem(name, kind) is None


def test_name_problem_refuses_an_extension_that_is_not_the_type_found():
    assert name_problem("sheet.xlsx", storage.DOCX) == (
        "The file's name ends in .xlsx, but the file is a Word document. Rename it to end in .docx and upload it again.")
