"""The demo's awards say only what their records hold (issue 10): every status shown has the acceptance record
that justifies it, every letter's payment schedule is the award's stored tranches, and no letter restates figures
(percentages, amounts) that are not the records'."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO

from pypdf import PdfReader

from portal.awards import queries
from portal.awards.tables import Award, AwardAcceptance
from portal.awards.tranches.tables import Tranche
from portal.core.templating import money
from portal.demo import DEMO_PASSWORD, seed
from portal.letters.queries import _tranche_schedule
from portal.letters.records import ScheduledTranche

SHOWN = {"offered": "Offered", "accepted": "Accepted", "declined": "Turned down"}


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


async def signed_in_admin(make_client):
    admin = await make_client()
    await admin.login("admin@portal.example", DEMO_PASSWORD)
    return admin


async def test_demo_every_award_shows_the_status_its_acceptance_record_justifies(demo, make_client):
    admin = await signed_in_admin(make_client)
    statuses = []
    for award in await Award.select(Award.id, Award.status).order_by(Award.id):
        answer = await AwardAcceptance.select(AwardAcceptance.decision).where(
            AwardAcceptance.award == award["id"]).first()
        assert (answer["decision"] if answer else "offered") == award["status"], award
        html = (await admin.get(f"/awards/{award['id']}")).text
        assert f'data-testid="award-status">{SHOWN[award["status"]]}</span>' in html
        assert ("The city has not answered the award yet." in html) == (award["status"] == "offered")
        statuses.append(award["status"])
    assert sorted(statuses) == ["accepted"] * 4 + ["offered"]  # three cohort seats and Tacoma; Boise's stipend


async def test_demo_accepted_awards_have_a_countersigned_letter_of_the_signed_hash(demo, make_client):
    admin = await signed_in_admin(make_client)
    answers = await AwardAcceptance.select(AwardAcceptance.award, AwardAcceptance.letter_sha256)
    assert len(answers) == await Award.count().where(Award.status == "accepted") == 4
    for answer in answers:
        letter = await admin.get(f"/awards/{answer['award']}/letter.pdf")
        assert hashlib.sha256(letter.content).hexdigest() == answer["letter_sha256"]
        assert (await admin.get(f"/awards/{answer['award']}/countersigned.pdf")).status_code == 200


async def test_demo_tacoma_is_paid_in_the_three_tranches_its_letter_describes(demo, make_client):
    tacoma = await Award.select(Award.id).where(
        Award.application.program.slug == "municipal-investment-fund").first()
    rows = await Tranche.select(Tranche.amount_cents, Tranche.trigger, Tranche.report_kind, Tranche.status).where(
        Tranche.award == tacoma["id"]).order_by(Tranche.position)
    assert rows == [
        {"amount_cents": 18_000_000, "trigger": "on_acceptance", "report_kind": "", "status": "released"},
        {"amount_cents": 18_000_000, "trigger": "on_report_approval", "report_kind": "interim", "status": "scheduled"},
        {"amount_cents": 9_000_000, "trigger": "on_report_approval", "report_kind": "final", "status": "scheduled"},
    ]
    text = pdf_text((await (await signed_in_admin(make_client)).get(f"/awards/{tacoma['id']}/letter.pdf")).content)
    assert ("Payment schedule: $180,000 on acceptance $180,000 once the interim report is approved $90,000 once "
            "the final report is approved Reporting schedule:") in text
    assert "in one payment" not in text


async def test_demo_every_letter_states_its_stored_schedule_and_no_other_figures(demo, make_client):
    admin = await signed_in_admin(make_client)
    for row in await Award.select(Award.id).order_by(Award.id):
        award = await queries.get_award(row["id"])
        terms = award.terms
        tranches = [ScheduledTranche(**row) for row in await Tranche.select(
            Tranche.amount_cents, Tranche.trigger, Tranche.report_kind, Tranche.due_date,
        ).where(Tranche.award == award.id).order_by(Tranche.position)]
        text = pdf_text((await admin.get(f"/awards/{award.id}/letter.pdf")).content)
        assert f"What the award gives: {terms.summary}" in text, award.id
        if not terms.is_paid:
            assert f"Payment schedule: Nothing is paid under this award: it gives {terms.phrase}, not money." in text
        elif tranches:
            assert f"Payment schedule: {' '.join(_tranche_schedule(tranches).split())} Reporting" in text
        else:
            assert "Payment schedule: No payment schedule has been set yet." in text
        # Every sum of money in the letter is the award's, a tranche's, or in the program's published offer.
        allowed = {money(award.amount_cents)} | {money(t.amount_cents) for t in tranches}
        allowed |= set(re.findall(r"\$[\d,]+", award.offer_text))
        assert set(re.findall(r"\$[\d,]+", text)) <= allowed, (award.id, text)
        assert "%" not in text and "$0" not in text, award.id
