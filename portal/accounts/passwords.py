"""How easy a new password is to guess, by zxcvbn (Dropbox's estimator, maintained on PyPI): it knows the common
passwords, names and words, keyboard patterns, repeats and dates, and is told the person's own email and name.
Used everywhere a password is set: registration, reset, and `portal create-staff`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_SCORE = 3
"""zxcvbn's 0-4 scale: 3 is "safely unguessable" for an online attack (about 10^8 guesses and more)."""
CHECKED_LENGTH = 72
"""zxcvbn refuses longer input (and is slow near it); a longer password is judged by its beginning."""


def _personal_words(personal: Iterable[str]) -> list[str]:
    """The person's email and name, whole and in pieces ("ann.lee@springfield.gov": ann, lee, springfield)."""
    words: list[str] = []
    for value in personal:
        value = value.strip().lower()
        if not value:
            continue
        words.append(value)
        words.extend(piece for piece in re.split(r"[^a-z0-9]+", value) if len(piece) >= 3)
    return list(dict.fromkeys(words))


def _compact(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def weakness(password: str, personal: Iterable[str] = ()) -> str | None:
    """Why `password` is too easy to guess, or None if it is not. `personal`: the person's email and name."""
    personal = [p for p in personal if p]
    compact = _compact(password)
    for value in personal:
        owns = {_compact(value), _compact(value.split("@")[0])}
        if any(len(own) >= 4 and own in compact for own in owns):
            return "Do not use your own name or email address in your password."
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=_personal_words(personal))
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"]["warning"]
    reason = f" {warning}" if warning else ""
    return (f"This password is too easy to guess.{reason} Use a few uncommon words together, or a longer "
            "phrase.")


async def weakness_async(password: str, personal: Iterable[str] = ()) -> str | None:
    """`weakness` off the event loop: zxcvbn takes up to a few hundred milliseconds on a long password."""
    return await asyncio.to_thread(weakness, password, list(personal))
