"""The grantee's answer to an award: the authorised signer accepts it (typed name, title, agreement) or
declines it with a reason. One `award_acceptance` row per award records who, when, from where and the SHA-256
of the letter they read; accepting also makes a countersigned PDF (the letter plus a signature page) and
releases the tranches due on acceptance.

Who signs: the application's named signer (application_member.is_signer), else its owner (created_by), as at
submission (portal/applications/queries.team_position).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
from weasyprint import HTML

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.applications.signing import normalise_name
from portal.applications.queries import team_position
from portal.awards import services as award_services
from portal.awards import queries as award_queries
from portal.awards.records import AcceptanceDetail, AwardDetail
from portal.awards.tables import Award, AwardAcceptance
from portal.core import audit, clock, pdf
from portal.core.actor import Actor, Principal
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.mail import queue_email
from portal.core.templating import render
from portal.db import Duplicate, write_transaction

log = logging.getLogger(__name__)

COUNTERSIGNED_DIR = "countersigned"
MAX_NAME = 200
MAX_TITLE = 200
MAX_REASON = 4000
LABELS = {"typed_name": "Your full name", "title": "Your title", "agree": "Agreement", "reason": "Reason"}


def agreement_text(award: AwardDetail) -> str:
    return (f"I am authorised to accept this award on behalf of {award.city_name}, I have read the award "
            "letter, and the city agrees to its terms and conditions.")


async def signer_id(award: AwardDetail) -> int | None:
    """The application's named signer, else its owner (the user who created it), as at submission."""
    _role, signer = await team_position(award.application, 0)
    if signer is not None:
        return signer
    row = await Application.select(Application.created_by).where(Application.id == award.application).first()
    return row["created_by"] if row else None


async def can_sign(user: Principal | None, award: AwardDetail) -> bool:
    """The signer, while they are still an owner or member of the city."""
    if user is None or user.org_roles.get(award.city_id) not in ("owner", "member"):
        return False
    return user.id == await signer_id(award)


async def get_acceptance(award_id: int) -> AcceptanceDetail | None:
    row = await AwardAcceptance.select(
        *AwardAcceptance.all_columns(), AwardAcceptance.user._.name.as_alias("user_name"),
        AwardAcceptance.user._.email.as_alias("user_email"),
    ).where(AwardAcceptance.award == award_id).first()
    return AcceptanceDetail.of(row) if row else None


async def _check_signer(actor: Actor, award: AwardDetail) -> str:
    """The signer's name on their account; Forbidden for anyone else, Conflict once the award is answered."""
    if not await can_sign(actor.user, award):
        raise Forbidden("Only the city's authorised signer can answer this award.")
    if award.status != "offered":
        raise Conflict("This award has already been answered.")
    user = await User.select(User.name).where(User.id == actor.user_id).first()
    if user is None:
        raise NotFound()
    name: str = user["name"]
    return name


async def _letter_sha256(actor: Actor, award: AwardDetail, files_dir: Path) -> str:
    """The SHA-256 of the letter the signer was shown (the one the award page downloads)."""
    return hashlib.sha256(await award_services.letter_bytes(actor, award, files_dir)).hexdigest()


async def _record(actor: Actor, award_id: int, decision: str, public_url: str = "", *, at: datetime | None = None,
                  notify: bool = True, **fields: str) -> None:
    """Insert the acceptance row and move the award from offered, and tell the city's members and the
    program's contact address (email `award_answered`, in the same transaction, unless `notify` is False);
    Conflict if it was answered meanwhile."""
    try:
        async with write_transaction():
            moved = await Award.update({Award.status: decision}).where(
                (Award.id == award_id) & (Award.status == "offered")).returning(Award.id)
            if not moved:
                raise Conflict("This award has already been answered.")
            await AwardAcceptance.insert(AwardAcceptance(
                award=award_id, user=actor.user_id, decision=decision, at=at or clock.now(),
                ip_address=actor.ip[:64], typed_name=fields.get("typed_name", ""), title=fields.get("title", ""),
                reason=fields.get("reason", ""), letter_sha256=fields.get("letter_sha256", "")))
            await audit.record(actor, f"award.{decision}", "award", award_id,
                               **{k: v for k, v in fields.items() if k in ("typed_name", "title", "letter_sha256")})
            if notify:
                await _tell(actor, award_id, decision, public_url, fields)
    except Duplicate as exc:
        raise Conflict("This award has already been answered.") from exc


async def _tell(actor: Actor, award_id: int, decision: str, public_url: str, fields: dict[str, str]) -> None:
    award = await award_queries.get_award(award_id)
    assert award is not None
    context = {"award": award, "decision": decision, "signer": actor.user.name if actor.user else "",
               "typed_name": fields.get("typed_name", ""), "title": fields.get("title", ""),
               "reason": fields.get("reason", ""), "letter_sha256": fields.get("letter_sha256", ""),
               "at_utc": clock.now().strftime("%Y-%m-%d %H:%M UTC"),
               "link": f"{public_url}/awards/{award_id}" if public_url else ""}
    recipients = {m.email: m.name for m in await award_queries.city_member_emails(award.city_id)}
    if award.contact_email:
        recipients.setdefault(award.contact_email, award.program_title + " team")
    for email, name in recipients.items():
        await queue_email(email, "award_answered", context | {"name": name}, program=award.program_id,
                          application=award.application)


def acceptance_errors(typed_name: str, title: str, agreed: bool, account_name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not typed_name.strip():
        errors["typed_name"] = "Type your full name to sign."
    elif len(typed_name) > MAX_NAME:
        errors["typed_name"] = f"Use at most {MAX_NAME} characters."
    elif normalise_name(typed_name) != normalise_name(account_name):
        errors["typed_name"] = f"Type your full name as it is on your account: {account_name}."
    if not title.strip():
        errors["title"] = "Enter your title, for example Mayor or City Manager."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Use at most {MAX_TITLE} characters."
    if not agreed:
        errors["agree"] = "Tick the box to confirm you are authorised and agree to the award's terms."
    return errors


async def accept_award(actor: Actor, award: AwardDetail, typed_name: str, title: str, agreed: bool,
                       files_dir: Path, public_url: str = "", *, at: datetime | None = None,
                       notify: bool = True) -> AcceptanceDetail:
    """The signer accepts the award.

    Writes, in one transaction: an `award_acceptance` row (accepted, typed name, title, UTC time, address,
    the letter's SHA-256); the award `offered` -> `accepted`; an audit row `award.accepted`; email
    `award_answered` to the city's members and the program's contact address. After the commit:
    the countersigned PDF under files/countersigned with its SHA-256 on the acceptance row (audit
    `award.countersigned`). Invalid (422) for a name that is not the signer's account name, a missing title or
    agreement; Forbidden for anyone but the signer; Conflict once answered. The caller releases the tranches.
    The demo, whose story is in the past, passes the time it was signed (`at`) and sends no email (`notify`).
    """
    account_name = await _check_signer(actor, award)
    typed_name, title = typed_name.strip(), " ".join(title.split())
    errors = acceptance_errors(typed_name, title, agreed, account_name)
    if errors:
        raise Invalid(errors)
    sha = await _letter_sha256(actor, award, files_dir)
    await _record(actor, award.id, "accepted", public_url, at=at, notify=notify, typed_name=typed_name,
                  title=title, letter_sha256=sha)
    try:
        await make_countersigned(actor, award.id, files_dir)
    except Exception:  # the acceptance stands; the PDF is made again when first downloaded
        log.exception("countersigned letter for award %s could not be made", award.id)
    acceptance = await get_acceptance(award.id)
    assert acceptance is not None
    return acceptance


async def decline_award(actor: Actor, award: AwardDetail, reason: str, files_dir: Path,
                        public_url: str = "") -> None:
    """The signer declines the award.

    Writes, in one transaction: an `award_acceptance` row (declined, the reason, time, address, the letter's
    SHA-256); the award `offered` -> `declined`; an audit row `award.declined`; email `award_answered` to the
    city's members and the program's contact address. Invalid without a reason.
    """
    await _check_signer(actor, award)
    reason = reason.replace("\r\n", "\n").strip()
    if not reason:
        raise Invalid({"reason": "Tell the program why the city declines the award."})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": f"Use at most {MAX_REASON} characters."})
    sha = await _letter_sha256(actor, award, files_dir)
    await _record(actor, award.id, "declined", public_url, reason=reason, letter_sha256=sha)


def countersigned_pdf(letter: bytes, award: AwardDetail, acceptance: AcceptanceDetail) -> bytes:
    """The signed letter, its pages unchanged, followed by a signature page with the acceptance record, one
    PDF. The signature page goes through the static-only URL fetcher."""
    page_html = render("awards/acceptance/signature.html", {
        "award": award, "acceptance": acceptance, "agreement": agreement_text(award),
        "at_utc": clock.as_utc(acceptance.at).strftime("%Y-%m-%d %H:%M:%S UTC")})
    signature = HTML(string=page_html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()
    with pikepdf.open(BytesIO(letter)) as document, pikepdf.open(BytesIO(signature)) as page:
        document.pages.extend(page.pages)
        out = BytesIO()
        document.save(out)
    return out.getvalue()


async def make_countersigned(actor: Actor, award_id: int, files_dir: Path) -> str:
    """Make and keep the countersigned PDF of an accepted award; returns its stored name.

    Writes: files/countersigned/<random>.pdf; countersigned_file and countersigned_sha256 on the acceptance;
    an audit row `award.countersigned`. A PDF made meanwhile by another request is kept instead.
    """
    from portal.awards import queries

    award = await queries.get_award(award_id)
    acceptance = await get_acceptance(award_id)
    if award is None or acceptance is None or acceptance.decision != "accepted":
        raise NotFound()
    letter = await award_services.letter_bytes(actor, award, files_dir)
    if hashlib.sha256(letter).hexdigest() != acceptance.letter_sha256:
        raise Conflict("The letter on file is not the one that was signed.")
    content = await asyncio.to_thread(countersigned_pdf, letter, award, acceptance)
    name, sha256 = await asyncio.to_thread(pdf.store_pdf, files_dir, COUNTERSIGNED_DIR, content)
    async with write_transaction():
        updated = await AwardAcceptance.update({AwardAcceptance.countersigned_file: name,
                                                AwardAcceptance.countersigned_sha256: sha256}).where(
            (AwardAcceptance.award == award_id)
            & (AwardAcceptance.countersigned_file == acceptance.countersigned_file)).returning(AwardAcceptance.id)
        if updated:
            await audit.record(actor, "award.countersigned", "award", award_id, sha256=sha256)
    if not updated:
        (files_dir / COUNTERSIGNED_DIR / name).unlink(missing_ok=True)
        current = await get_acceptance(award_id)
        return current.countersigned_file if current else name
    return name


async def countersigned_path(actor: Actor, award_id: int, files_dir: Path) -> Path:
    acceptance = await get_acceptance(award_id)
    if acceptance is None or acceptance.decision != "accepted":
        raise NotFound("This award has not been accepted.")
    path = pdf.stored_path(files_dir, COUNTERSIGNED_DIR, acceptance.countersigned_file)
    if path is None:
        path = pdf.stored_path(files_dir, COUNTERSIGNED_DIR, await make_countersigned(actor, award_id, files_dir))
    if path is None:
        raise NotFound("The countersigned letter could not be made. Please try again in a moment.")
    return path
