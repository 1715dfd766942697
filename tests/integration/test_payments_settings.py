"""Stripe settings: off by default (the embedded demo needs no Stripe), strict in production."""

from __future__ import annotations

import pytest

from portal.settings import SettingsError, load_settings

PRODUCTION = {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "k" * 40, "PORTAL_PUBLIC_URL": "https://grants.example"}


def test_stripe_is_off_by_default(tmp_path):
    settings = load_settings({"PORTAL_DATA_DIR": str(tmp_path)})
    assert (settings.stripe.configured, settings.stripe.api_base) == (False, "")


def test_production_stripe_needs_the_webhook_secret(tmp_path):
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET"):
        load_settings({**PRODUCTION, "PORTAL_DATA_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_live_1"})


def test_production_stripe_api_base_must_be_https(tmp_path):
    with pytest.raises(SettingsError, match="STRIPE_API_BASE"):
        load_settings({**PRODUCTION, "PORTAL_DATA_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_live_1",
                       "STRIPE_WEBHOOK_SECRET": "whsec_1", "STRIPE_API_BASE": "http://127.0.0.1:8420"})


def test_production_stripe_configured(tmp_path):
    settings = load_settings({**PRODUCTION, "PORTAL_DATA_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_live_1",
                              "STRIPE_WEBHOOK_SECRET": "whsec_1"})
    assert (settings.stripe.configured, settings.stripe.webhook_secret) == (True, "whsec_1")
