"""A grantee organisation's Stripe connected account: created on first onboarding, its flags refreshed from
Stripe when the grantee returns from Stripe's hosted onboarding."""

from __future__ import annotations

from typing import Any

from portal.core import audit, clock
from portal.core.actor import Actor
from portal.db import write_transaction
from portal.payments.gateway import Account, StripeGateway
from portal.payments.onboarding.queries import get_payout
from portal.payments.onboarding.tables import OrganisationPayout


async def _save(actor: Actor, organisation_id: int, account: Account) -> None:
    """Writes: the organisation's `organisation_payout` row (inserted or updated); an audit row
    `payout.account_saved` when the account is new or its flags changed."""
    async with write_transaction():
        row = await get_payout(organisation_id)
        now = clock.now()
        if row is None:
            await OrganisationPayout.insert(OrganisationPayout(
                organisation=organisation_id, stripe_account_id=account.id, charges_enabled=account.charges_enabled,
                payouts_enabled=account.payouts_enabled, updated_at=now))
        elif (row["charges_enabled"], row["payouts_enabled"]) == (account.charges_enabled, account.payouts_enabled):
            await OrganisationPayout.update({OrganisationPayout.updated_at: now}).where(
                OrganisationPayout.organisation == organisation_id)
            return
        else:
            await OrganisationPayout.update({
                OrganisationPayout.charges_enabled: account.charges_enabled,
                OrganisationPayout.payouts_enabled: account.payouts_enabled,
                OrganisationPayout.updated_at: now}).where(OrganisationPayout.organisation == organisation_id)
        await audit.record(actor, "payout.account_saved", "organisation", organisation_id, account=account.id,
                           payouts_enabled=account.payouts_enabled)


async def onboarding_link(actor: Actor, organisation_id: int, email: str, gateway: StripeGateway, *,
                          refresh_url: str, return_url: str) -> str:
    """Stripe's single-use onboarding address for the organisation, creating its connected account first if
    it has none (Stripe's idempotency key is per organisation, so a double click makes one account).

    Writes: the `organisation_payout` row on first use (see `_save`)."""
    row = await get_payout(organisation_id)
    if row is None:
        account = await gateway.create_account(email=email, organisation_id=organisation_id)
        await _save(actor, organisation_id, account)
        account_id = account.id
    else:
        account_id = row["stripe_account_id"]
    return await gateway.onboarding_link(account_id, refresh_url=refresh_url, return_url=return_url)


async def refresh(actor: Actor, organisation_id: int, gateway: StripeGateway) -> dict[str, Any] | None:
    """Read the organisation's account from Stripe and keep its flags. Writes: see `_save`."""
    row = await get_payout(organisation_id)
    if row is None:
        return None
    await _save(actor, organisation_id, await gateway.retrieve_account(row["stripe_account_id"]))
    return await get_payout(organisation_id)
