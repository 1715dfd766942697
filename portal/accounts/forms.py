"""Validation of the account forms. Each returns the cleaned values or raises `Invalid` with every error."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from portal.accounts.passwords import weakness_async
from portal.core.errors import Invalid
from portal.web.forms import text

EMAIL_RE = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200


def safe_next(target: str) -> str:
    """Only local paths: never redirect off-site after sign-in."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc or "\\" in target:
        return "/dashboard"
    return target


def clean_email(value: str) -> str | None:
    value = value.strip().lower()
    return value if len(value) <= 320 and EMAIL_RE.match(value) else None


def _password_errors(password: str, errors: dict[str, str], field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        errors[field] = f"Use at least {MIN_PASSWORD} characters."
    elif len(password) > MAX_PASSWORD:
        errors[field] = f"Use at most {MAX_PASSWORD} characters."


async def _strength_errors(password: str, errors: dict[str, str], personal: list[str], field: str = "password") -> None:
    """A password of the right length that is still easy to guess (common, repeated, the person's own name)."""
    if field not in errors and password:
        reason = await weakness_async(password, personal)
        if reason:
            errors[field] = reason


async def registration(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = text(data, "name", 200)
    email = clean_email(text(data, "email", 400))
    password = text(data, "password", 1000)
    if not name:
        errors["name"] = "Enter your full name."
    if email is None:
        errors["email"] = "Enter an email address like name@city.gov."
    _password_errors(password, errors)
    await _strength_errors(password, errors, [text(data, "email", 400), name])
    if password and text(data, "password_confirm", 1000) != password and "password" not in errors:
        errors["password_confirm"] = "The two passwords do not match."
    if errors:
        raise Invalid(errors)
    return {"name": name, "email": email or "", "password": password}


def sign_in(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    email = text(data, "email", 400).lower()
    password = text(data, "password", 1000)
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        raise Invalid(errors)
    return {"email": email, "password": password}


async def new_password(data: dict[str, Any], personal: list[str]) -> str:
    """A new password (reset): long enough, hard to guess (`personal`: the account's email and name), confirmed."""
    errors: dict[str, str] = {}
    password = text(data, "password", 1000)
    _password_errors(password, errors)
    await _strength_errors(password, errors, personal)
    if "password" not in errors and text(data, "password_confirm", 1000) != password:
        errors["password_confirm"] = "The two passwords do not match."
    if errors:
        raise Invalid(errors)
    return password


def email_only(data: dict[str, Any]) -> str:
    email = clean_email(text(data, "email", 400))
    if email is None:
        raise Invalid({"email": "Enter an email address like name@city.gov."})
    return email
