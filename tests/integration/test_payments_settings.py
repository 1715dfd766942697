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


def test_card_payments_need_a_publishable_key_and_stripe_js_defaults_to_js_stripe_com(tmp_path):
    off = load_settings({"PORTAL_DATA_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_test_1"})
    assert (off.stripe.card_payments, off.stripe.publishable_key, off.stripe.js_url) == (
        False, "", "https://js.stripe.com/v3/")
    on = load_settings({"PORTAL_DATA_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_test_1",
                        "STRIPE_PUBLISHABLE_KEY": "pk_test_1", "STRIPE_JS_URL": "http://127.0.0.1:8420/js.stripe.com/v3/"})
    assert (on.stripe.card_payments, on.stripe.publishable_key, on.stripe.js_url) == (
        True, "pk_test_1", "http://127.0.0.1:8420/js.stripe.com/v3/")
    key_only = load_settings({"PORTAL_DATA_DIR": str(tmp_path), "STRIPE_PUBLISHABLE_KEY": "pk_test_1"})
    assert key_only.stripe.card_payments is False  # no secret key: no PaymentIntent to confirm


def test_the_publishable_key_must_not_be_the_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="STRIPE_PUBLISHABLE_KEY"):
        load_settings({"PORTAL_DATA_DIR": str(tmp_path), "STRIPE_PUBLISHABLE_KEY": "sk_live_1"})


def test_production_stripe_js_must_be_https(tmp_path):
    with pytest.raises(SettingsError, match="STRIPE_JS_URL"):
        load_settings({**PRODUCTION, "PORTAL_DATA_DIR": str(tmp_path), "STRIPE_JS_URL": "http://js.example/v3/"})
    with pytest.raises(SettingsError, match="STRIPE_JS_URL"):
        load_settings({"PORTAL_DATA_DIR": str(tmp_path), "STRIPE_JS_URL": "javascript:alert(1)"})
    kept = load_settings({**PRODUCTION, "PORTAL_DATA_DIR": str(tmp_path), "STRIPE_JS_URL": ""})
    assert kept.stripe.js_url == "https://js.stripe.com/v3/"
