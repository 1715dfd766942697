"""Reads for a funder's pledge page: the pledge's PaymentIntent that the browser may still complete, its client
secret (asked of Stripe again, never stored), and the origins the page's Content-Security-Policy must allow for
Stripe.js. Nothing here writes.

A pledge payment is started by `services.record_pledge_payment` (one PaymentIntent, key `pledge-<id>-v1`). The
funder's browser confirms it with Stripe.js and the intent's client secret. If the page is reloaded, or the card
was declined (Stripe lets the same intent be confirmed again with another card), the page finds that intent
here and offers to finish it rather than start a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.dashboards.queries import get_funded_program_for
from portal.payments.ledger import queries as ledger
from portal.payments.gateway import STRIPE_API, StripeGateway, StripeRefused, StripeUnavailable
from portal.payments.tables import Payment
from portal.programs.tables import Program, ProgramFunder
from portal.settings import STRIPE_JS_URL, StripeSettings

CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
"""PaymentIntent statuses in which Stripe.js can still confirm it (after a decline it is requires_payment_method)."""


@dataclass(frozen=True)
class Checkout:
    """A pledge payment the page shows: either one to confirm (`client_secret` set) or one Stripe has and the
    webhook has not yet confirmed (`waiting`)."""

    payment: dict[str, Any]
    stripe_status: str
    client_secret: str = ""

    @property
    def waiting(self) -> bool:
        return not self.client_secret and self.payment["status"] == "released"


async def pledge_for(user: Principal, program_id: int) -> dict[str, Any]:
    """The user's funder's pledge to the program: the program (403 for a non-funder, 404 for a program none of
    the user's funders funds), the pledge's figures (pledged, received, pending), what is outstanding, the
    program's ledger totals and its contact address (how to pay without the card form)."""
    program = await get_funded_program_for(user, program_id)
    row = await ProgramFunder.select(ProgramFunder.funder).where(
        (ProgramFunder.program == program_id) & ProgramFunder.funder.is_in(user.funder_ids or [0])
    ).order_by(ProgramFunder.id).first()
    if row is None:
        raise NotFound()
    pledge = (await ledger.funder_rows(program_id=program_id, funder_id=row["funder"]))[0]
    contact = await Program.select(Program.contact_email).where(Program.id == program_id).first()
    return {"program": program, "pledge": pledge, "funder_id": row["funder"],
            "figures": program["ledger"],  # the program's ledger totals, read once by get_funded_program_for
            "contact_email": (contact or {}).get("contact_email") or "",
            "outstanding_cents": max(pledge["pledged_cents"] - pledge["received_cents"] - pledge["pending_cents"], 0)}


async def latest_pledge_payment(program_id: int, funder_id: int) -> dict[str, Any] | None:
    """The pledge's most recent PaymentIntent payment, whatever its status."""
    return await Payment.select().where(
        (Payment.kind == "payment_intent") & (Payment.program == program_id) & (Payment.funder == funder_id)
    ).order_by(Payment.id, ascending=False).first()


async def open_checkout(program_id: int, funder_id: int, outstanding_cents: int,
                        gateway: StripeGateway) -> Checkout | None:
    """The pledge's PaymentIntent the browser may still complete, with its client secret from Stripe; or the
    one under way that Stripe holds as processing or succeeded (waiting for its webhook); else None.

    Only the latest payment counts: released (started, not confirmed), or failed by a decline while its intent
    is still confirmable for the amount now outstanding (a retry on the same intent, as Stripe allows)."""
    row = await latest_pledge_payment(program_id, funder_id)
    if row is None or row["status"] not in ("released", "failed") or not row["stripe_id"]:
        return None
    if row["status"] == "failed" and row["amount_cents"] != outstanding_cents:
        return None
    try:
        intent = await gateway.retrieve_payment_intent(row["stripe_id"])
    except (StripeUnavailable, StripeRefused):
        return Checkout(row, "unknown") if row["status"] == "released" else None
    if intent.status in CONFIRMABLE:
        return Checkout(row, intent.status, client_secret=intent.client_secret)
    if row["status"] == "released":
        return Checkout(row, intent.status)
    return None


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_js_sources(settings: StripeSettings) -> dict[str, list[str]]:
    """What the pledge page's Content-Security-Policy adds for Stripe.js: its origin for scripts and frames (the
    card Element is a frame), Stripe's API for its requests. From js.stripe.com, also the hosts Stripe documents
    for Stripe.js (https://docs.stripe.com/security/guide#content-security-policy): its subdomains and
    hooks.stripe.com (3-D Secure frames)."""
    js = origin(settings.js_url or STRIPE_JS_URL)
    script, frame = [js], [js]
    if js == origin(STRIPE_JS_URL):
        script.append("https://*.js.stripe.com")
        frame += ["https://*.js.stripe.com", "https://hooks.stripe.com"]
    return {"script": script, "frame": frame, "connect": [origin(settings.api_base or STRIPE_API)]}
