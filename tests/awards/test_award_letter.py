"""Award letters: who may download them, how they are served, and that the PDF renderer stays fenced in."""

from __future__ import annotations

import socket
import threading
from io import BytesIO

from pypdf import PdfReader

from portal.accounts.tables import Organisation
from portal.awards.tables import Award
from tests.factories.awards import make_award

GOOD_AWARD = {"decision": "award", "amount": "25000", "conditions": "Report on outcomes.",
              "start_date": "2027-01-01", "end_date": "2027-12-31"}


async def award_by_staff(world, as_persona) -> int:
    staff = await as_persona("staff")
    await staff.get(f"/staff/applications/{world['application_a']}/decision")
    response = await staff.post(f"/staff/applications/{world['application_a']}/decision", GOOD_AWARD)
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


async def test_letter_download_grantee_member_gets_pdf(world, as_persona):
    award_id = await award_by_staff(world, as_persona)
    for persona in ("applicant", "colleague"):
        client = await as_persona(persona)
        response = await client.get(f"/awards/{award_id}/letter.pdf")
        assert response.status_code == 200
        assert response.content[:5] == b"%PDF-"
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="award-letter-healthy-babies-springfield-{award_id}.pdf"')
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_letter_download_staff_and_admin_get_pdf(world, as_persona):
    award_id = await award_by_staff(world, as_persona)
    for persona in ("staff", "admin"):
        client = await as_persona(persona)
        response = await client.get(f"/awards/{award_id}/letter.pdf")
        assert response.status_code == 200
        assert response.content[:5] == b"%PDF-"


async def test_letter_download_others_get_404(world, as_persona):
    award_id = await award_by_staff(world, as_persona)
    for persona in ("stranger", "funder", "other_funder", "reviewer", "idle_reviewer"):
        client = await as_persona(persona)
        assert (await client.get(f"/awards/{award_id}/letter.pdf")).status_code == 404, persona
        assert (await client.get(f"/awards/{award_id}")).status_code == 404, persona
    anonymous = await as_persona("anonymous")
    assert (await anonymous.get(f"/awards/{award_id}/letter.pdf")).status_code == 303
    applicant = await as_persona("applicant")
    assert (await applicant.get("/awards/999999/letter.pdf")).status_code == 404


async def test_letter_made_on_demand_when_missing(world, as_persona, portal):
    award_id = await make_award(world["application_a"], world["staff"], amount_cents=1_234_500)
    applicant = await as_persona("applicant")
    response = await applicant.get(f"/awards/{award_id}/letter.pdf")
    assert response.status_code == 200
    assert "$12,345" in pdf_text(response.content)
    award = await Award.select(Award.letter_file).where(Award.id == award_id).first()
    stored = portal.state.settings.files_dir / "letters" / award["letter_file"]
    assert stored.read_bytes() == response.content
    stored.unlink()
    again = await applicant.get(f"/awards/{award_id}/letter.pdf")
    assert again.status_code == 200 and again.content[:5] == b"%PDF-"


async def test_award_page_grantee_sees_amount_reports_and_letter(world, as_persona):
    award_id = await award_by_staff(world, as_persona)
    applicant = await as_persona("applicant")
    response = await applicant.get(f"/awards/{award_id}")
    assert response.status_code == 200
    assert 'data-testid="award-amount">$25,000<' in response.text
    assert f'href="/awards/{award_id}/letter.pdf"' in response.text
    assert response.text.count('href="/reports/') == 2
    dashboard = await applicant.get("/dashboard")
    assert f'data-testid="dashboard-letter-{award_id}"' in dashboard.text
    stranger = await as_persona("stranger")
    assert 'data-testid="awards-section"' not in (await stranger.get("/dashboard")).text


class ConnectionCounter:
    """A TCP listener on loopback that counts connections: the PDF renderer must make none."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


async def test_letter_with_hostile_city_name_embeds_no_file_and_calls_no_network(world, as_persona, monkeypatch):
    listener = ConnectionCounter()
    attempted: list[tuple] = []
    real_connect = socket.socket.connect

    def watching_connect(self, address):  # records any outbound connection the renderer might try
        attempted.append(address)
        return real_connect(self, address)

    hostile = ('Evil <img src="file:///etc/passwd"> <link rel="stylesheet" href="http://127.0.0.1:1/x"> '
               f'<img src="http://127.0.0.1:{listener.port}/y"> <a rel="attachment" href="file:///etc/passwd">a</a>')
    await Organisation.update({Organisation.name: hostile}).where(Organisation.id == world["city_a"])
    award_id = await make_award(world["application_a"], world["staff"])
    monkeypatch.setattr(socket.socket, "connect", watching_connect)
    try:
        applicant = await as_persona("applicant")
        response = await applicant.get(f"/awards/{award_id}/letter.pdf")
    finally:
        monkeypatch.undo()
        listener.close()
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert 'Evil <img src="file:///etc/passwd">' in text  # shown as text, not followed
    assert "root:" not in text and "/bin/" not in text
    assert PdfReader(BytesIO(response.content)).attachments == {}
    assert listener.connections == 0
    assert [a for a in attempted if isinstance(a, tuple) and a[0] not in ("127.0.0.1", "::1")] == []
    assert not any(isinstance(a, tuple) and a[1] in (1, listener.port) for a in attempted)
