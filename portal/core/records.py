"""The base of the portal's typed, immutable records (docs/architecture.md, "Types")."""

from __future__ import annotations

from typing import Any, Self

import msgspec


class Record(msgspec.Struct, frozen=True):
    """A frozen msgspec Struct built from a row whose keys are its fields (`Table.select()` of every column, or a
    select whose aliases name them). A record whose columns need converting (timestamps SQLite hands back as text)
    defines its own `of`."""

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        """The record of a row whose keys are exactly its fields."""
        return cls(**row)
