"""Settings are read once from the environment: safe defaults for the demo, strict checks for production."""

from __future__ import annotations

import stat

import pytest

from portal.settings import MailSettings, SettingsError, load_settings

KEY = "k" * 40


def env(tmp_path, **values: str) -> dict[str, str]:
    return {"PORTAL_DATA_DIR": str(tmp_path), **values}


def test_settings_defaults_run_the_demo_on_sqlite(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings.env == "development"
    assert settings.production is False
    assert settings.data_dir == tmp_path.resolve()
    assert settings.database.url == f"sqlite:///{tmp_path.resolve() / 'portal.sqlite3'}"
    assert settings.database.engine == "sqlite"
    assert settings.database.pool_size == 10
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.files_dir == tmp_path.resolve() / "files"
    assert settings.mail.host == ""
    assert settings.mail.port == 25
    assert settings.mail.use_tls is False
    assert settings.mail.sender == MailSettings.sender
    assert settings.stripe.secret_key == ""
    assert settings.session_hours == 12
    assert settings.secure_cookies is False
    assert settings.login_attempts_per_15min == 10
    assert settings.access_log is False


def test_settings_demo_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_settings(env(tmp_path)).secret_key
    second = load_settings(env(tmp_path)).secret_key
    assert first == second
    assert len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_settings_demo_secret_key_differs_between_data_directories(tmp_path):
    assert load_settings(env(tmp_path / "a")).secret_key != load_settings(env(tmp_path / "b")).secret_key


def test_settings_production_requires_a_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY is required"):
        load_settings(env(tmp_path, PORTAL_ENV="production", PORTAL_PUBLIC_URL="https://grants.example.org"))
    assert not (tmp_path / "secret_key").exists()


def test_settings_production_requires_an_https_public_url(tmp_path):
    with pytest.raises(SettingsError, match="https://"):
        load_settings(env(tmp_path, PORTAL_ENV="production", PORTAL_SECRET_KEY=KEY))
    with pytest.raises(SettingsError, match="https://"):
        load_settings(env(tmp_path, PORTAL_ENV="production", PORTAL_SECRET_KEY=KEY,
                          PORTAL_PUBLIC_URL="http://grants.example.org"))


def test_settings_production_with_key_and_https_url_has_secure_cookies(tmp_path):
    settings = load_settings(env(tmp_path, PORTAL_ENV="production", PORTAL_SECRET_KEY=KEY,
                                 PORTAL_PUBLIC_URL="https://grants.example.org/"))
    assert settings.production is True
    assert settings.secret_key == KEY
    assert settings.public_url == "https://grants.example.org"
    assert settings.secure_cookies is True


def test_settings_secure_cookies_can_be_set_explicitly(tmp_path):
    assert load_settings(env(tmp_path, SECURE_COOKIES="yes")).secure_cookies is True
    production = env(tmp_path, PORTAL_ENV="production", PORTAL_SECRET_KEY=KEY,
                     PORTAL_PUBLIC_URL="https://grants.example.org", SECURE_COOKIES="off")
    assert load_settings(production).secure_cookies is False


def test_settings_short_secret_key_rejected(tmp_path):
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(env(tmp_path, PORTAL_SECRET_KEY="too-short"))


def test_settings_unknown_environment_rejected(tmp_path):
    with pytest.raises(SettingsError, match="PORTAL_ENV"):
        load_settings(env(tmp_path, PORTAL_ENV="staging"))


@pytest.mark.parametrize("name", ["SMTP_PORT", "DATABASE_POOL_SIZE", "SESSION_HOURS", "LOGIN_ATTEMPTS_PER_15MIN"])
def test_settings_bad_whole_number_rejected_with_its_name(tmp_path, name):
    with pytest.raises(SettingsError, match=f"{name} must be a whole number, not '2.5x'"):
        load_settings(env(tmp_path, **{name: "2.5x"}))


def test_settings_whole_numbers_are_read(tmp_path):
    settings = load_settings(env(tmp_path, SMTP_PORT="587", DATABASE_POOL_SIZE="4", SESSION_HOURS=" 8 ",
                                 LOGIN_ATTEMPTS_PER_15MIN="3"))
    assert (settings.mail.port, settings.database.pool_size, settings.session_hours,
            settings.login_attempts_per_15min) == (587, 4, 8, 3)


def test_settings_bad_boolean_rejected(tmp_path):
    with pytest.raises(SettingsError, match="SMTP_STARTTLS must be true or false"):
        load_settings(env(tmp_path, SMTP_STARTTLS="maybe"))


@pytest.mark.parametrize("raw, expected", [("1", True), ("TRUE", True), ("on", True), ("0", False), ("No", False)])
def test_settings_booleans_accept_common_spellings(tmp_path, raw, expected):
    assert load_settings(env(tmp_path, SMTP_STARTTLS=raw)).mail.use_tls is expected


@pytest.mark.parametrize("url", ["postgresql://portal@db:5432/portal", "postgres://portal@db/portal"])
def test_settings_postgres_url_selects_postgres(tmp_path, url):
    assert load_settings(env(tmp_path, DATABASE_URL=url)).database.engine == "postgres"


def test_settings_unknown_database_url_rejected(tmp_path):
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(env(tmp_path, DATABASE_URL="mysql://db/portal"))


def test_settings_mail_and_stripe_are_read(tmp_path):
    settings = load_settings(env(tmp_path, SMTP_HOST="smtp.example.org", SMTP_USERNAME="portal",
                                 SMTP_PASSWORD="pw", MAIL_FROM="Grants <grants@example.org>",
                                 STRIPE_SECRET_KEY="sk_test_1", STRIPE_WEBHOOK_SECRET="whsec_1",
                                 STRIPE_API_BASE="http://127.0.0.1:8420"))
    assert (settings.mail.host, settings.mail.username, settings.mail.password, settings.mail.sender) == (
        "smtp.example.org", "portal", "pw", "Grants <grants@example.org>")
    assert (settings.stripe.secret_key, settings.stripe.webhook_secret, settings.stripe.api_base) == (
        "sk_test_1", "whsec_1", "http://127.0.0.1:8420")


def test_settings_are_frozen(tmp_path):
    settings = load_settings(env(tmp_path))
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]


def test_settings_access_log_is_turned_on_by_its_variable(tmp_path):
    assert load_settings(env(tmp_path, PORTAL_ACCESS_LOG="true")).access_log is True
    with pytest.raises(SettingsError, match="PORTAL_ACCESS_LOG"):
        load_settings(env(tmp_path, PORTAL_ACCESS_LOG="loud"))


def test_settings_two_factor_is_required_of_staff_unless_switched_off(tmp_path):
    assert load_settings(env(tmp_path)).two_factor_required_for_staff is True
    off = load_settings(env(tmp_path, TWO_FACTOR_REQUIRED_FOR_STAFF="false"))
    assert off.two_factor_required_for_staff is False


def test_settings_mail_retry_and_reclaim_are_read(tmp_path):
    mail = load_settings(env(tmp_path, SMTP_TIMEOUT_SECONDS="5", MAIL_RECLAIM_AFTER_SECONDS="60",
                             MAIL_RETRY_FIRST_SECONDS="10", MAIL_RETRY_MAX_SECONDS="600",
                             MAIL_RETRY_FOR_HOURS="72")).mail
    assert (mail.timeout_seconds, mail.reclaim_after_seconds, mail.retry_first_seconds, mail.retry_max_seconds,
            mail.retry_for_hours) == (5, 60, 10, 600, 72)


def test_settings_mail_defaults_ride_out_an_outage_of_hours(tmp_path):
    mail = load_settings(env(tmp_path)).mail
    assert (mail.timeout_seconds, mail.reclaim_after_seconds, mail.retry_first_seconds, mail.retry_max_seconds,
            mail.retry_for_hours) == (20, 300, 30, 1800, 48)


@pytest.mark.parametrize("values", [
    {"SMTP_TIMEOUT_SECONDS": "30", "MAIL_RECLAIM_AFTER_SECONDS": "30"},  # a send under way would be doubled
    {"SMTP_TIMEOUT_SECONDS": "0"},
    {"MAIL_RETRY_FIRST_SECONDS": "0"},
    {"MAIL_RETRY_FIRST_SECONDS": "60", "MAIL_RETRY_MAX_SECONDS": "30"},
    {"MAIL_RETRY_FOR_HOURS": "0"},
])
def test_settings_mail_retry_out_of_range_is_refused(tmp_path, values):
    with pytest.raises(SettingsError, match="MAIL_|SMTP_TIMEOUT"):
        load_settings(env(tmp_path, **values))


def test_settings_mail_poll_and_letter_reclaim_are_read(tmp_path):
    settings = load_settings(env(tmp_path, MAIL_POLL_SECONDS="1", LETTER_RECLAIM_AFTER_SECONDS="2"))
    assert (settings.mail.poll_seconds, settings.letter_reclaim_after_seconds) == (1, 2)


def test_settings_mail_poll_and_letter_reclaim_defaults(tmp_path):
    settings = load_settings(env(tmp_path))
    assert (settings.mail.poll_seconds, settings.letter_reclaim_after_seconds) == (3, 120)


@pytest.mark.parametrize("name", ["MAIL_POLL_SECONDS", "LETTER_RECLAIM_AFTER_SECONDS"])
def test_settings_mail_poll_and_letter_reclaim_below_one_second_are_refused(tmp_path, name):
    with pytest.raises(SettingsError, match=f"{name} must be at least 1"):
        load_settings(env(tmp_path, **{name: "0"}))


def test_settings_payment_retry_and_stripe_timeout_are_read(tmp_path):
    stripe = load_settings(env(tmp_path, STRIPE_TIMEOUT_SECONDS="2", PAYMENT_RETRY_FIRST_SECONDS="1",
                               PAYMENT_RETRY_MAX_SECONDS="4", PAYMENT_RETRY_FOR_HOURS="23")).stripe
    assert (stripe.timeout_seconds, stripe.retry_first_seconds, stripe.retry_max_seconds,
            stripe.retry_for_hours) == (2, 1, 4, 23)
    default = load_settings(env(tmp_path)).stripe
    assert (default.timeout_seconds, default.retry_first_seconds, default.retry_max_seconds,
            default.retry_for_hours) == (30, 60, 1800, 12)


@pytest.mark.parametrize("values", [
    {"STRIPE_TIMEOUT_SECONDS": "0"},
    {"PAYMENT_RETRY_FIRST_SECONDS": "0"},
    {"PAYMENT_RETRY_FIRST_SECONDS": "60", "PAYMENT_RETRY_MAX_SECONDS": "30"},
    {"PAYMENT_RETRY_FOR_HOURS": "0"},
    {"PAYMENT_RETRY_FOR_HOURS": "24"},  # Stripe forgets an idempotency key after 24 hours: a second transfer
])
def test_settings_payment_retry_out_of_range_is_refused(tmp_path, values):
    with pytest.raises(SettingsError, match="PAYMENT_|STRIPE_TIMEOUT"):
        load_settings(env(tmp_path, **values))
