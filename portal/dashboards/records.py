"""What a funder's summaries read, as typed, immutable records (the pattern of portal/payments/records.py;
docs/architecture.md, "Types"): a program the funder funds, the same with its figures, and one program's page with
the ledger's money figures too."""

from __future__ import annotations

import msgspec

from portal.awards.records import FunderAward


class FundedProgram(msgspec.Struct, frozen=True):
    """A program some of the funder's organisations fund (`queries.funded_programs`): what the summaries show of
    it, its network's name, which of those organisations fund it, and what they pledged together."""

    id: int
    title: str
    slug: str
    status: str  # draft | open | closed
    offer_kind: str
    budget_cents: int
    network_name: str
    funder_names: tuple[str, ...]
    pledged_cents: int


class FunderSummary(FundedProgram, frozen=True):
    """A funded program with its figures (`queries.summaries`): applications that reached staff, its awards
    (largest first), how many of them and how much count as committed (offered or accepted), reports received."""

    applications: int
    awards: list[FunderAward]
    award_count: int
    awarded_cents: int
    reports_received: int


class FundedProgramPage(FunderSummary, frozen=True):
    """One funded program's page (`queries.get_funded_program_for`): its summary and where its money is, as the
    ledger counts it (docs/payments.md): the ledger's totals by figure, and the funds received from funders."""

    ledger: dict[str, int]
    funds_received_cents: int
