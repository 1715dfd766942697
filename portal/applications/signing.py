"""Signing at submission: the signer types their full name and ticks an attestation. Pure rules, no database."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

NAME_FIELD = "signature_name"  # the page's input names (not form field keys: a form may have its own signer field)
ATTEST_FIELD = "signature_attest"
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class Attestation:
    """What the signer typed and ticked, and the exact words they attested to."""

    typed_name: str
    attested: bool
    text: str


def attestation_text(city_name: str) -> str:
    return (f"I am authorised to submit this application on behalf of {city_name}, and the information in it "
            "is true.")


def normalise_name(name: str) -> str:
    """Compare names as people type them: Unicode-normalised, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def attestation_errors(attestation: Attestation, signer_name: str) -> dict[str, str]:
    """Every problem with a signature at once, keyed by the page's input names; {} when it is right."""
    errors: dict[str, str] = {}
    if not attestation.typed_name.strip():
        errors[NAME_FIELD] = "Type your full name to sign."
    elif normalise_name(attestation.typed_name) != normalise_name(signer_name):
        errors[NAME_FIELD] = f"Type your full name as it is on your account: {signer_name}."
    if not attestation.attested:
        errors[ATTEST_FIELD] = "Tick the box to confirm you are authorised and the information is true."
    return errors
