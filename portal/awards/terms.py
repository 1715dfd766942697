"""What an award gives, in its own units: the one place that says it.

The award page, the award letter, the city's dashboard, staff award lists, the funder's summary and the emails
all describe an award through `terms_of`, so that none of them prints "$0" for a seat or offers a payout for
something that is not money.

What the columns mean depends on the program's offer kind (`program.offer_kind`):

- `cash` (a grant) and `travel` (a stipend): `award.amount_cents` is money paid to the city, in tranches.
- `cohort_seat` and `ta_hours`: nothing is paid. `amount_cents` is the value staff counted against the
  program's budget (often 0); the award is one seat in the cohort, or `award.ta_hours` hours of technical
  assistance.

Any award may also carry hours of technical assistance (`award.ta_hours`): a cash grant with TA, like City
Innovation Ecosystems' seed money plus hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.core.templating import money
from portal.programs.rules import PAID_OFFER_KINDS

OFFER_LABELS = {
    "cash": "Cash grant",
    "cohort_seat": "Seat in the program's cohort",
    "ta_hours": "Technical assistance",
    "travel": "Travel stipend",
}

PAID_KINDS = PAID_OFFER_KINDS  # offer kinds whose amount is money paid to the city


def hours(count: int) -> str:
    return f"{count:,} hour{'s' if count != 1 else ''} of technical assistance"


@dataclass(frozen=True)
class AwardTerms:
    """What one award gives. Build it with `terms_of`."""

    kind: str  # the program's offer kind: cash | travel | cohort_seat | ta_hours
    amount_cents: int  # money paid (cash, travel), or the value counted against the budget (seat, hours)
    ta_hours: int  # hours of technical assistance, whatever the kind

    @classmethod
    def of(cls, kind: str | None, amount_cents: int | None, ta_hours: int | None) -> AwardTerms:
        """The terms of an award of a program of offer kind `kind` (cash without one)."""
        return cls(kind=kind or "cash", amount_cents=int(amount_cents or 0), ta_hours=int(ta_hours or 0))

    @property
    def label(self) -> str:
        """The kind of award in words, e.g. "Cash grant"."""
        label = OFFER_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())
        if self.kind in PAID_KINDS and self.ta_hours:
            label += " and technical assistance"
        return label

    @property
    def cash_cents(self) -> int:
        """Money paid to the city; 0 for a seat or technical assistance."""
        return self.amount_cents if self.kind in PAID_KINDS else 0

    @property
    def value_cents(self) -> int:
        """What a seat or technical assistance counts against the budget (never paid); 0 for money awards."""
        return 0 if self.kind in PAID_KINDS else self.amount_cents

    @property
    def is_paid(self) -> bool:
        """Whether the award pays money: only then are there tranches, payouts and a payment schedule."""
        return self.cash_cents > 0

    @property
    def seats(self) -> int:
        return 1 if self.kind == "cohort_seat" else 0

    @property
    def parts(self) -> list[str]:
        """Each thing the award gives, in its own unit, e.g. ["$25,000", "80 hours of technical assistance"]."""
        parts: list[str] = []
        if self.kind == "travel":
            parts.append(f"a travel stipend of {money(self.amount_cents)}")
        elif self.kind == "cash" and (self.amount_cents or not self.ta_hours):
            parts.append(money(self.amount_cents))
        elif self.kind == "cohort_seat":
            parts.append("one seat in the program's cohort")
        elif self.kind == "ta_hours" and not self.ta_hours:
            parts.append("technical assistance")
        elif self.kind not in OFFER_LABELS:
            parts.append(self.label.lower())
        if self.ta_hours:
            parts.append(hours(self.ta_hours))
        return parts

    @property
    def phrase(self) -> str:
        """The whole award in words, to go inside a sentence: "$25,000 and 80 hours of technical assistance",
        "one seat in the program's cohort"."""
        return " and ".join(self.parts)

    @property
    def summary(self) -> str:
        """`phrase` to stand on its own: "One seat in the program's cohort"."""
        return self.phrase[:1].upper() + self.phrase[1:]


def terms_of(award: Mapping[str, Any]) -> AwardTerms:
    """The terms of a row (as a query hands it back, values of any column type) that has `offer_kind` (its
    program's), `amount_cents` and `ta_hours`; records have their own `terms` (portal/awards/records.py)."""
    return AwardTerms.of(str(award.get("offer_kind") or "cash"), award.get("amount_cents"), award.get("ta_hours"))

