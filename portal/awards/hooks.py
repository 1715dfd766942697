"""What awards asks of letters: the award letter of an application, made from the program's letter template.

Why a hook and not a call: letters builds on awards (a letter reads an award's amount, terms and tranches, and
letter rounds go to decided applications: `portal/letters/queries.py`), so awards must not import letters. Yet
an award's own letter (made as the award is decided, served to the city, remade when its terms change) is made
from the program's award letter template, which letters owns. So letters offers its functions here, from
`portal.letters.award_letters` when that module is imported; the app and the demo seeder import it before they
touch an award (`portal/app.py`, `portal/demo.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from portal.core.actor import Actor


class StoredLetter(Protocol):
    """A stored letter as awards reads it (letters' `LetterRecord` is one): which file, and its SHA-256."""

    @property
    def id(self) -> int: ...
    @property
    def file(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class Letters:
    """The letters functions awards uses (see `portal.letters.services` and `portal.letters.queries`)."""

    letter_html: Callable[[int, str], Awaitable[str | None]]
    """(application id, kind) -> the letter's HTML, None if the application gets no such letter."""
    make_letter: Callable[[Actor | None, int, str, Path], Awaitable[int | None]]
    """(actor, application id, kind, files dir) -> a new stored letter's id (a letter row, the newest)."""
    letters_of: Callable[[int, str], Awaitable[Sequence[StoredLetter]]]
    """(application id, kind) -> every stored letter of that kind, newest first."""
    stored_letter: Callable[[Path, StoredLetter], bytes]
    """(files dir, a letter of letters_of) -> its PDF, checked: NotFound if the file is gone, Conflict if it
    changed."""


_letters: list[Letters] = []


class NoLetters(RuntimeError):
    """An award letter was asked for while nothing makes letters."""


def provide_letters(letters: Letters) -> None:
    """Offer the letters functions to awards (again replaces them)."""
    _letters[:] = [letters]


def letters() -> Letters:
    """The letters functions; NoLetters if none were offered: import portal.letters.award_letters first."""
    if not _letters:
        raise NoLetters("an award letter is needed, but nothing makes letters: import portal.letters.award_letters")
    return _letters[0]
