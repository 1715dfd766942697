"""A grantee organisation's Stripe connected account as last read from Stripe, and where to pay it."""

from __future__ import annotations

from typing import Any

from portal.payments.onboarding.tables import OrganisationPayout


async def get_payout(organisation_id: int) -> dict[str, Any] | None:
    return await OrganisationPayout.select().where(OrganisationPayout.organisation == organisation_id).first()


async def payout_destination(organisation_id: int) -> str:
    """The connected account to pay, if it can receive payouts; "" otherwise (the manual rail)."""
    row = await get_payout(organisation_id)
    return row["stripe_account_id"] if row and row["payouts_enabled"] else ""
