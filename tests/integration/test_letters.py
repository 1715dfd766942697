"""Letters (issue 5): per-program templates rendered in a sandbox, round batches made by the background worker
with a progress fragment, stored PDFs served with their SHA-256 checked."""

from __future__ import annotations

import asyncio
import hashlib
from io import BytesIO

from pypdf import PdfReader

from portal.applications.tables import Application
from portal.core import clock
from portal.core.actor import Actor
from portal.letters import services
from portal.letters.tables import Letter, LetterBatch, LetterTemplate
from portal.reviews.tables import Assignment, ReviewConflict
from tests.factories import assign, make_application
from tests.factories.awards import make_award


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def csrf_form(**fields) -> dict:
    return dict(fields)


async def declined_with_reviews(world) -> int:
    """application_b declined, with two submitted reviews: one plain, one by a conflicted reviewer."""
    app_id = world["application_b"]
    await Application.update({Application.status: "declined"}).where(Application.id == app_id)
    plain = await assign(app_id, world["reviewer"], world["staff"])
    conflicted = await assign(app_id, world["idle_reviewer"], world["staff"])
    await Assignment.update({Assignment.status: "submitted", Assignment.applicant_comment: "Budget is unclear here."}
                            ).where(Assignment.id == plain)
    await Assignment.update({Assignment.status: "submitted", Assignment.applicant_comment: "CONFLICTED WORDS"}
                            ).where(Assignment.id == conflicted)
    await ReviewConflict.insert(ReviewConflict(application=app_id, reviewer=world["idle_reviewer"], source="staff",
                                               reason="Former employee", declared_by=world["staff"],
                                               declared_at=clock.now()))
    return app_id


async def wait_for_batch(staff, program_id: int, batch_id: int, seconds: float = 60) -> str:
    """Poll the progress fragment as the page does, until it stops polling; returns the last fragment."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await staff.get(f"/staff/programs/{program_id}/letters/batches/{batch_id}")
        assert response.status_code == 200
        if 'hx-trigger="every 1s"' not in response.text:
            return response.text
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.2)


async def test_page_seeds_default_templates_and_links_from_program(world, as_persona):
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}/letters")
    assert response.status_code == 200
    for kind in ("award", "decline", "waitlist"):
        assert f'data-testid="template-{kind}"' in response.text
    rows = await LetterTemplate.select(LetterTemplate.kind).where(LetterTemplate.program == world["program"])
    assert sorted(r["kind"] for r in rows) == ["award", "decline", "waitlist"]
    await staff.get(f"/staff/programs/{world['program']}/letters")  # again: still one row per kind
    assert await LetterTemplate.count().where(LetterTemplate.program == world["program"]) == 3
    program_page = await staff.get(f"/staff/programs/{world['program']}")
    assert f'href="/staff/programs/{world["program"]}/letters"' in program_page.text
    assert "hx-trigger" not in response.text or "load" not in response.text.split("hx-trigger")[1][:40]


async def test_save_template_and_refuse_unknown_fields_and_syntax_errors(world, as_persona):
    staff = await as_persona("staff")
    url = f"/staff/programs/{world['program']}/letters/templates"
    await staff.get(f"/staff/programs/{world['program']}/letters")
    bad = await staff.post(url, {"kind": "award", "subject": "Award", "body": "Dear {{ mayor_name }}, {{ city }}"})
    assert bad.status_code == 422
    assert "Unknown merge field: mayor_name" in bad.text
    broken = await staff.post(url, {"kind": "award", "subject": "Award {% if %}", "body": "Dear {{ city"})
    assert broken.status_code == 422
    assert 'id="error-award-subject"' in broken.text and 'id="error-award-body"' in broken.text
    assert "syntax error on line 1" in broken.text
    code = await staff.post(url, {"kind": "award", "subject": "x", "body": "{{ city.__class__.__mro__ }}"})
    assert code.status_code == 422 and "unsafe" in code.text  # the sandbox refuses it, so it is not saved
    preview = await staff.post(f"/staff/programs/{world['program']}/letters/preview",
                               {"kind": "award", "subject": "x", "body": "{{ city.__class__.__mro__ }}"})
    assert preview.status_code == 422 and "unsafe" in preview.text
    empty = await staff.post(url, {"kind": "award", "subject": "", "body": ""})
    assert empty.status_code == 422 and "Enter the subject." in empty.text
    huge = await staff.post(url, {"kind": "award", "subject": "S", "body": "x" * 30_000})
    assert huge.status_code == 422 and "too long" in huge.text
    ok = await staff.post(url, {"kind": "award", "subject": "Grant for {{ city }}", "body": "Dear {{ city }},\n\nYou get {{ amount }}."})
    assert ok.status_code == 303
    row = await LetterTemplate.select(LetterTemplate.body, LetterTemplate.updated_by).where(
        (LetterTemplate.program == world["program"]) & (LetterTemplate.kind == "award")).first()
    assert row == {"body": "Dear {{ city }},\n\nYou get {{ amount }}.", "updated_by": world["staff"]}
    for kind in ("", "bogus", "award" * 100):
        wrong = await staff.post(url, {"kind": kind, "subject": "S", "body": "B"})
        assert wrong.status_code == 422 and "Choose which letter" in wrong.text


async def test_preview_escapes_staff_text_and_merged_values(world, as_persona):
    staff = await as_persona("staff")
    url = f"/staff/programs/{world['program']}/letters/preview"
    response = await staff.post(url, {"kind": "decline", "subject": "Hello <b>{{ city }}</b>",
                                      "body": '<img src="file:///etc/passwd"> {{ reviewer_comments }}'},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-testid="preview"' in response.text
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in response.text
    assert '<img src="file:///etc/passwd">' not in response.text
    assert "Hello &lt;b&gt;Springfield, IL&lt;/b&gt;" in response.text
    assert "<html" not in response.text  # the HTMX answer is the template's section only


async def test_round_batch_made_in_background_with_progress_and_stored_letters(world, as_persona, portal):
    award_id = await make_award(world["application_a"], world["staff"], amount_cents=2_500_000)
    declined = await declined_with_reviews(world)
    staff = await as_persona("staff")
    program = world["program"]
    page = await staff.get(f"/staff/programs/{program}/letters")
    assert "Award letters (1)" in page.text and "Decline letters (1)" in page.text
    response = await staff.post(f"/staff/programs/{program}/letters/batches", {"kinds": ["award", "decline"]})
    assert response.status_code == 303
    batch_id = int(response.headers["location"].split("batch=")[1].split("#")[0])
    page = await staff.get(f"/staff/programs/{program}/letters")
    assert "<progress" in page.text
    final = await wait_for_batch(staff, program, batch_id)
    assert "2 of 2 letters made. Done." in final
    assert 'max="2" value="2">2 of 2</progress>' in final
    batch = await LetterBatch.select().where(LetterBatch.id == batch_id).first()
    assert (batch["status"], batch["total"], batch["done"], batch["failed"]) == ("done", 2, 2, 0)
    assert batch["started_at"] is not None and batch["finished_at"] is not None
    letters = await Letter.select().where(Letter.batch == batch_id).order_by(Letter.id)
    assert [(r["application"], r["kind"]) for r in letters] == [(world["application_a"], "award"), (declined, "decline")]
    files_dir = portal.state.settings.files_dir
    texts = {}
    for letter in letters:
        download = await staff.get(f"/staff/programs/{program}/letters/files/{letter['id']}/letter.pdf")
        assert download.status_code == 200 and download.content[:5] == b"%PDF-"
        assert hashlib.sha256(download.content).hexdigest() == letter["sha256"]
        assert (files_dir / "letters" / letter["file"]).read_bytes() == download.content
        texts[letter["kind"]] = pdf_text(download.content)
    assert "$25,000" in texts["award"] and "Springfield" in texts["award"]
    assert "Budget is unclear here." in texts["decline"]
    assert "CONFLICTED WORDS" not in texts["decline"]
    # the award letter route serves the stored letter of the round
    applicant = await as_persona("applicant")
    award_letter = await applicant.get(f"/awards/{award_id}/letter.pdf")
    assert hashlib.sha256(award_letter.content).hexdigest() == letters[0]["sha256"]
    # a stored file changed behind our back is refused, not served
    (files_dir / "letters" / letters[1]["file"]).write_bytes(b"%PDF-1.7 tampered")
    tampered = await staff.get(f"/staff/programs/{program}/letters/files/{letters[1]['id']}/letter.pdf")
    assert tampered.status_code == 409
    # a round's award letter whose file is gone: the grantee still gets the award letter (made on demand)
    (files_dir / "letters" / letters[0]["file"]).unlink()
    again = await applicant.get(f"/awards/{award_id}/letter.pdf")
    assert again.status_code == 200 and again.content[:5] == b"%PDF-"
    assert (await staff.get(f"/staff/programs/{program}/letters/files/{letters[0]['id']}/letter.pdf")).status_code == 404
    # another network's program, or another program's letter id: 404
    assert (await staff.get(f"/staff/programs/{world['other_program']}/letters/files/{letters[0]['id']}/letter.pdf")
            ).status_code == 404


async def test_batch_refused_without_letters_to_make_or_while_one_runs(world, as_persona):
    staff = await as_persona("staff")
    program = world["program"]
    nothing = await staff.post(f"/staff/programs/{program}/letters/batches", {"kinds": ["waitlist"]})
    assert nothing.status_code == 422 and "No application" in nothing.text
    none_chosen = await staff.post(f"/staff/programs/{program}/letters/batches", {})
    assert none_chosen.status_code == 422 and "Choose which letters" in none_chosen.text
    await LetterBatch.insert(LetterBatch(program=program, kinds="award", total=1, status="running",
                                         requested_by=world["staff"], requested_at=clock.now(),
                                         heartbeat_at=clock.now()))
    await make_award(world["application_a"], world["staff"])
    busy = await staff.post(f"/staff/programs/{program}/letters/batches", {"kinds": ["award"]})
    assert busy.status_code == 409


async def test_a_batch_is_claimed_by_one_worker_only(world):
    rows = await LetterBatch.insert(LetterBatch(program=world["program"], kinds="award", total=0, status="queued",
                                                requested_by=world["staff"], requested_at=clock.now())
                                    ).returning(LetterBatch.id)
    # the app's own worker may be first; then every claim here finds nothing, and that is right too
    claims = await asyncio.gather(*[services.claim_batch() for _ in range(6)])
    mine = [c for c in claims if c is not None]
    assert len(mine) <= 1
    row = await LetterBatch.select(LetterBatch.status).where(LetterBatch.id == rows[0]["id"]).first()
    assert row["status"] in ("running", "done")
    if mine:
        assert mine[0].id == rows[0]["id"]
        assert await services.claim_batch() is None  # a running batch with a fresh heartbeat stays with its worker


async def test_abandoned_running_batch_is_claimed_again_and_resumed(world, portal):
    await make_award(world["application_a"], world["staff"])
    stale = clock.now() - services.STALE_AFTER * 2
    rows = await LetterBatch.insert(LetterBatch(program=world["program"], kinds="award", total=1, status="running",
                                                requested_by=world["staff"], requested_at=stale, started_at=stale,
                                                heartbeat_at=stale)).returning(LetterBatch.id)
    batch_id = rows[0]["id"]
    for _ in range(300):
        row = await LetterBatch.select(LetterBatch.status, LetterBatch.done).where(LetterBatch.id == batch_id).first()
        if row["status"] == "done":
            break
        await asyncio.sleep(0.1)
    assert row == {"status": "done", "done": 1}
    assert await Letter.count().where(Letter.batch == batch_id) == 1


async def test_make_letter_directly_records_hash_and_audit(world, portal):
    await make_award(world["application_a"], world["staff"])
    letter_id = await services.make_letter(Actor(user=None), world["application_a"], "award",
                                           portal.state.settings.files_dir)
    row = await Letter.select().where(Letter.id == letter_id).first()
    content = (portal.state.settings.files_dir / "letters" / row["file"]).read_bytes()
    assert hashlib.sha256(content).hexdigest() == row["sha256"]
    assert await services.make_letter(None, world["application_b"], "award", portal.state.settings.files_dir) is None


async def test_demo_programs_have_default_letter_templates(portal):
    from portal.demo import seed
    from portal.programs.tables import Program

    assert await seed(portal.state.settings)
    programs = await Program.count()
    assert programs >= 5
    assert await LetterTemplate.count() == programs * 3
    assert await LetterTemplate.count().where(LetterTemplate.kind == "decline") == programs


async def test_a_failing_letter_is_counted_and_the_round_goes_on(world, as_persona, monkeypatch):
    await make_award(world["application_a"], world["staff"])
    declined = await declined_with_reviews(world)  # Shelbyville's application
    real = services._render_and_store

    async def failing_for_shelbyville(html, files_dir, executor=None):
        if "Shelbyville" in html:
            raise RuntimeError("renderer broke")
        return await real(html, files_dir, executor)

    monkeypatch.setattr(services, "_render_and_store", failing_for_shelbyville)
    staff = await as_persona("staff")
    response = await staff.post(f"/staff/programs/{world['program']}/letters/batches", {"kinds": ["decline", "award"]})
    batch_id = int(response.headers["location"].split("batch=")[1].split("#")[0])
    final = await wait_for_batch(staff, world["program"], batch_id)
    assert "1 of 2 letters made, 1 failed. Done." in final
    batch = await LetterBatch.select().where(LetterBatch.id == batch_id).first()
    assert (batch["status"], batch["done"], batch["failed"]) == ("done", 1, 1)
    assert f"decline letter of application {declined}: renderer broke" in batch["error"]
    assert [r["kind"] for r in await Letter.select(Letter.kind).where(Letter.batch == batch_id)] == ["award"]


async def test_waitlist_letters_follow_the_decision_board_and_award_letters_name_the_tranches(world):
    """Waitlist letters go to applications the board released as waitlisted; an award letter's payment
    schedule is the tranches staff set."""
    from datetime import date

    from portal.awards.decisions.tables import Decision
    from portal.awards.tranches.tables import Tranche
    from portal.letters import queries as letter_queries
    from tests.factories.awards import make_award

    from portal.applications.tables import Application

    waitlisted = world["application_b"]
    await Application.update({Application.status: "submitted"}).where(Application.id == waitlisted)
    await Decision.insert(Decision(program=world["program"], application=waitlisted, outcome="waitlist",
                                   decided_by=world["staff"], updated_at=clock.now(), released_at=clock.now()))
    assert await letter_queries.targets(world["program"], ["waitlist"]) == [(waitlisted, "waitlist")]
    # A draft (not released) waitlist decision sends no letter.
    await Decision.update({Decision.released_at: None}).where(Decision.application == waitlisted)
    assert await letter_queries.targets(world["program"], ["waitlist"]) == []

    award_id = await make_award(world["application_a"], world["staff"], amount_cents=5_000_000)
    await Tranche.insert(
        Tranche(award=award_id, position=1, amount_cents=3_000_000, trigger="on_acceptance"),
        Tranche(award=award_id, position=2, amount_cents=1_500_000, trigger="on_report_approval", report_kind="interim"),
        Tranche(award=award_id, position=3, amount_cents=500_000, trigger="on_date", due_date=date(2027, 6, 30)),
    )
    letter = await letter_queries.letter_fields(world["application_a"], "award")
    assert letter is not None
    fields = letter.fields
    assert fields["payment_schedule"].splitlines() == [
        "$30,000 on acceptance", "$15,000 once the interim report is approved", "$5,000 on June 30, 2027"]
