"""Application factories and helpers: the form as a browser posts it, small PDFs, moving deadlines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.applications.tables import Application, ApplicationFile
from portal.core import clock
from portal.programs.tables import Program
from tests.factories import VALID_ANSWERS

# A real one-page PDF (the upload check opens it with pikepdf, so it must have a page tree).
PDF_BYTES = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
             b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
             b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
             b"trailer << /Root 1 0 R /Size 4 >>\n%%EOF\n")

# VALID_ANSWERS as the HTML form sends them (dollars, "yes" for the checkbox).
VALID_FORM: dict[str, str] = {
    "project_title": VALID_ANSWERS["project_title"], "need": VALID_ANSWERS["need"], "families": "120",
    "amount": "25,000", "start": "2027-01-15", "focus": "screening", "contact_name": "Ann Lee", "attest": "yes",
}


def signed(name: str) -> dict[str, str]:
    """The signature the submit form needs: the signer's full name (a persona's name is its email's local part,
    title-cased: "Applicant", "Stranger") and the ticked attestation."""
    return {"signature_name": name, "signature_attest": "yes"}


async def set_deadline(program_id: int, delta: timedelta) -> None:
    """Move the program's deadline to now + delta (negative: passed)."""
    await Program.update({Program.deadline_at: clock.now() + delta}).where(Program.id == program_id)


async def application_row(application_id: int) -> dict[str, Any]:
    return await Application.select().where(Application.id == application_id).output(load_json=True).first()


async def add_file(application_id: int, user_id: int, field_key: str = "budget_file", name: str = "budget.pdf",
                   stored_name: str = "0" * 32 + ".pdf") -> int:
    """A file row (without the bytes on disk): for listing and access tests."""
    rows = await ApplicationFile.insert(ApplicationFile(
        application=application_id, field_key=field_key, stored_name=stored_name, original_name=name,
        content_type="application/pdf", size_bytes=len(PDF_BYTES), sha256="0" * 64, uploaded_by=user_id,
        uploaded_at=clock.now())).returning(ApplicationFile.id)
    return rows[0]["id"]
