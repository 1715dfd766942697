"""Letters reach only the portal's own assets: hostile merge fields and template text embed no local file and
make no network request (issue 5, "WeasyPrint reaches only the portal's own assets")."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from portal.accounts.tables import Organisation
from portal.awards.tables import Award
from portal.letters import services
from portal.letters.tables import Letter
from portal.programs.tables import Program
from tests.factories.awards import make_award


class RecordingServer:
    """An HTTP server on loopback that records every request it gets: the PDF renderer must send none."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                body = b"SERVER-CONTENT-LEAKED"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def hostile(port: int, tag: str) -> str:
    """Under 200 characters (a city name's limit)."""
    value = (f'{tag} file:///etc/passwd <img src="file:///etc/passwd"> '
             f'<link rel="stylesheet" href="http://127.0.0.1:{port}/{tag[:1]}.css"> '
             f'<img src="http://127.0.0.1:{port}/{tag[:1]}.png">')
    assert len(value) <= 200
    return value


ATTACHMENT = '<a rel="attachment" href="file:///etc/passwd">a</a>'  


async def test_hostile_merge_fields_and_template_embed_no_file_and_call_no_server(world, portal, as_persona):
    server = RecordingServer()
    try:
        await Organisation.update({Organisation.name: hostile(server.port, "CITY")}).where(
            Organisation.id == world["city_a"])
        await Program.update({Program.letter_signatory: hostile(server.port, "SIGNATORY")}).where(
            Program.id == world["program"])
        award_id = await make_award(world["application_a"], world["staff"])
        await Award.update({Award.conditions: hostile(server.port, "CONDITIONS") + ATTACHMENT}).where(Award.id == award_id)
        staff = await as_persona("staff")
        saved = await staff.post(f"/staff/programs/{world['program']}/letters/templates", {
            "kind": "award", "subject": "Award for {{ city }}",
            "body": f'<link rel="stylesheet" href="http://127.0.0.1:{server.port}/BODY.css">\n'
                    '<img src="file:///etc/passwd">\n{{ city }}\n{{ signatory }}\n{{ conditions }}',
        })
        assert saved.status_code == 303
        response = await staff.post(f"/staff/programs/{world['program']}/letters/batches", {"kinds": ["award"]})
        assert response.status_code == 303
        await services.process_next_batch(portal.state.settings.files_dir)  # or the app's worker has done it
        letter = None
        for _ in range(300):
            letter = await Letter.select().where(Letter.application == world["application_a"]).first()
            if letter:
                break
            import asyncio
            await asyncio.sleep(0.1)
        assert letter is not None
        content = (portal.state.settings.files_dir / "letters" / letter["file"]).read_bytes()
    finally:
        server.close()
    assert hashlib.sha256(content).hexdigest() == letter["sha256"]
    text = " ".join(pdf_text(content).split())
    # every hostile value is printed as text...
    for tag in ("CITY", "SIGNATORY", "CONDITIONS"):
        assert f'{tag} file:///etc/passwd <img src="file:///etc/passwd">' in text, tag
    assert 'href="http://127.0.0.1:' in text and "BODY.css" in text
    # ...and nothing was fetched: no file content, no server content, no request, no attachment
    passwd = Path("/etc/passwd").read_text()
    first_line = passwd.splitlines()[0]
    assert first_line not in text and "root:x:0" not in text
    assert b"SERVER-CONTENT-LEAKED" not in content and "SERVER-CONTENT-LEAKED" not in text
    assert passwd.encode()[:40] not in content
    assert server.hits == []
    reader = PdfReader(BytesIO(content))
    assert reader.attachments == {}
    assert len(reader.pages) >= 1


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


async def test_the_server_in_this_test_does_record_requests():
    """The recording server is not blind: a plain request reaches it (so an empty `hits` above means none)."""
    import urllib.request

    server = RecordingServer()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/probe.css", timeout=5) as reply:
            assert reply.read() == b"SERVER-CONTENT-LEAKED"
    finally:
        server.close()
    assert server.hits == ["/probe.css"]
