"""Award acceptance: the signer reads the letter and accepts with their typed name, title and agreement, or
declines with a reason; the record, the award's status, the countersigned PDF and its hash."""

from __future__ import annotations

import hashlib
from io import BytesIO

from pypdf import PdfReader

from portal.awards.tables import Award, AwardAcceptance
from portal.core.tables import AuditEvent
from portal.letters import services as letters
from portal.letters.tables import Letter
from tests.factories.awards import make_award
from tests.factories import PASSWORD
from tests.factories.teams import TEAM_PERSONAS, build_team

GOOD = {"decision": "accept", "typed_name": "  applicant ", "title": "Mayor", "agree": "yes"}


async def award_status(award_id: int) -> str:
    return (await Award.select(Award.status).where(Award.id == award_id).first())["status"]


async def test_signer_accepts_record_and_countersigned_pdf(world, as_persona, portal):
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    page = await applicant.get(f"/awards/{award}/acceptance")
    assert page.status_code == 200 and 'data-testid="accept-form"' in page.text
    response = await applicant.post(f"/awards/{award}/acceptance", GOOD)
    assert response.status_code == 303, response.text
    assert await award_status(award) == "accepted"
    record = await AwardAcceptance.select().where(AwardAcceptance.award == award).first()
    assert (record["user"], record["decision"], record["typed_name"], record["title"]) == (
        world["applicant"], "accepted", "applicant", "Mayor")
    assert record["at"] is not None and record["ip_address"] != ""
    letter = await applicant.get(f"/awards/{award}/letter.pdf")
    assert record["letter_sha256"] == hashlib.sha256(letter.content).hexdigest()
    staff = await as_persona("staff")
    signed = await staff.get(f"/awards/{award}/countersigned.pdf")
    assert signed.status_code == 200 and signed.headers["content-type"] == "application/pdf"
    assert record["countersigned_sha256"] == hashlib.sha256(signed.content).hexdigest()
    pages = PdfReader(BytesIO(signed.content)).pages
    letter_pages = len(PdfReader(BytesIO(letter.content)).pages)
    assert len(pages) == letter_pages + 1
    last = pages[-1].extract_text()
    assert "Acceptance of the award" in last and "Mayor" in last and record["letter_sha256"][:16] in last
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.object_type == "award") & (AuditEvent.object_id == award))]
    assert "award.accepted" in actions and "award.countersigned" in actions
    # Answered once only.
    again = await applicant.post(f"/awards/{award}/acceptance", GOOD)
    assert again.status_code == 409
    assert await AwardAcceptance.count() == 1


async def test_typed_name_mismatch_title_and_agreement_are_422(world, as_persona):
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    response = await applicant.post(f"/awards/{award}/acceptance", {"decision": "accept", "typed_name": "Someone Else",
                                                                     "title": "", "agree": ""})
    assert response.status_code == 422
    assert "as it is on your account: Applicant" in response.text
    assert "Enter your title" in response.text and "Tick the box" in response.text
    assert await award_status(award) == "offered" and await AwardAcceptance.count() == 0


async def test_decline_with_a_reason(world, as_persona):
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    empty = await applicant.post(f"/awards/{award}/acceptance", {"decision": "decline", "reason": "  "})
    assert empty.status_code == 422 and "why the city declines" in empty.text
    response = await applicant.post(f"/awards/{award}/acceptance", {"decision": "decline",
                                                                     "reason": "Council voted against it."})
    assert response.status_code == 303
    assert await award_status(award) == "declined"
    record = await AwardAcceptance.select().where(AwardAcceptance.award == award).first()
    assert (record["decision"], record["reason"], len(record["letter_sha256"])) == (
        "declined", "Council voted against it.", 64)
    assert (await applicant.get(f"/awards/{award}/countersigned.pdf")).status_code == 404


async def test_only_the_signer_answers(world, as_persona):
    award = await make_award(world["application_a"], world["staff"])
    for persona, status in (("colleague", 403), ("staff", 403), ("stranger", 404)):
        client = await as_persona(persona)
        response = await client.post(f"/awards/{award}/acceptance", GOOD)
        assert (persona, response.status_code) == (persona, status)
    assert await award_status(award) == "offered"


async def test_named_signer_signs_instead_of_the_owner(world, as_persona, make_client):
    await build_team(world)
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/acceptance", GOOD)).status_code == 403
    signer = await make_client()
    await signer.login(TEAM_PERSONAS["signer"], PASSWORD)
    response = await signer.post(f"/awards/{award}/acceptance", GOOD | {"typed_name": "Mayor"})
    assert response.status_code == 303, response.text
    assert await award_status(award) == "accepted"


async def test_hostile_title_reaches_no_file_or_network_and_huge_input_is_422(world, as_persona):
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    huge = await applicant.post(f"/awards/{award}/acceptance", GOOD | {"title": "M" * 100_000})
    assert huge.status_code == 422 and "at most 200 characters" in huge.text
    title = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    response = await applicant.post(f"/awards/{award}/acceptance", GOOD | {"title": title})
    assert response.status_code == 303
    signed = await applicant.get(f"/awards/{award}/countersigned.pdf")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(signed.content)).pages)
    assert 'file:///etc/passwd' in text and "root:x:" not in text  # shown as text, never fetched
    assert b"/EmbeddedFile" not in signed.content and b"/Subtype /Image" not in signed.content


async def test_accepting_and_declining_tell_the_city_and_the_program(world, as_persona, mailbox):
    from portal.programs.tables import Program

    await Program.update({Program.contact_email: "grants@network.org"}).where(Program.id == world["program"])
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/acceptance", GOOD)).status_code == 303
    for address in ("applicant@springfield.gov", "colleague@springfield.gov", "grants@network.org"):
        message = await mailbox.wait_for(address, "Award accepted")
        body = message.get_payload(decode=True).decode()
        assert "has accepted the award" in body and "Mayor" in body and f"/awards/{award}" in body

    mailbox.clear()
    other = await make_award(world["application_b"], world["staff"])
    from portal.applications.tables import Application

    await Application.update({Application.status: "awarded"}).where(Application.id == world["application_b"])
    stranger = await as_persona("stranger")
    response = await stranger.post(f"/awards/{other}/acceptance", {"decision": "decline", "reason": "Council said no."})
    assert response.status_code == 303
    message = await mailbox.wait_for("grants@network.org", "Award declined")
    assert "Council said no." in message.get_payload(decode=True).decode()
    assert mailbox.to("applicant@springfield.gov") == []


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


async def test_the_city_signs_the_programs_letter_with_the_schedule_staff_set_and_the_countersigned_pdf_keeps_it(
        world, as_persona, portal):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}/letters")
    saved = await staff.post(f"/staff/programs/{world['program']}/letters/templates", {
        "kind": "award", "subject": "Your award from {{ network }}",
        "body": "Dear {{ city }},\n\nOur own wording: {{ amount }} as {{ award_kind }}.\n\nPayments:\n"
                "{{ payment_schedule }}\n\n{{ signatory }}"})
    assert saved.status_code in (200, 303)
    award = await make_award(world["application_a"], world["staff"])
    applicant = await as_persona("applicant")
    first = _text((await applicant.get(f"/awards/{award}/letter.pdf")).content)
    assert "Our own wording: $10,000" in first and "No payment schedule has been set yet" in first  # no tranches
    # Staff set the schedule while the award is offered: the letter the city reads follows it.
    assert (await staff.post(f"/awards/{award}/tranches", {
        "amount_1": "6,000", "trigger_1": "on_acceptance", "amount_2": "4000", "trigger_2": "on_report_approval",
        "report_kind_2": "final"})).status_code == 303
    letter = await applicant.get(f"/awards/{award}/letter.pdf")
    text = _text(letter.content)
    assert "$6,000 on acceptance" in text and "$4,000" in text and "final report" in text
    assert (await applicant.post(f"/awards/{award}/acceptance", GOOD)).status_code == 303
    record = await AwardAcceptance.select().where(AwardAcceptance.award == award).first()
    assert record["letter_sha256"] == hashlib.sha256(letter.content).hexdigest()
    # The countersigned PDF is that letter, its pages unchanged, and the signature page.
    signed = PdfReader(BytesIO((await staff.get(f"/awards/{award}/countersigned.pdf")).content))
    letter_pages = PdfReader(BytesIO(letter.content)).pages
    assert [p.extract_text() for p in signed.pages[:len(letter_pages)]] == [p.extract_text() for p in letter_pages]
    assert "Acceptance of the award" in signed.pages[-1].extract_text()
    # Once answered, a new schedule or a letter round leaves the signed letter as it was.
    await staff.post(f"/awards/{award}/tranches", {"amount_1": "10,000", "trigger_1": "on_acceptance"})
    assert await letters.make_letter(None, world["application_a"], "award", portal.state.settings.files_dir)
    assert await Letter.count().where(Letter.application == world["application_a"]) == 2  # remade once, one round
    assert (await applicant.get(f"/awards/{award}/letter.pdf")).content == letter.content
    assert (await staff.get(f"/awards/{award}/countersigned.pdf")).status_code == 200
