"""Typed settings, read once from the environment.

Every setting has a default that runs the demo on SQLite with nothing else installed. In production
(`PORTAL_ENV=production`) the secret key and a public URL must be given explicitly.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    """`sqlite:///path/to/file.db` (the default, under the data directory) or `postgresql://user@host/db`."""
    pool_size: int = 10
    """Connections per process in the PostgreSQL pool."""

    @property
    def engine(self) -> str:
        return "postgres" if self.url.startswith(("postgres://", "postgresql://")) else "sqlite"


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    """SMTP server host. Empty: mail is kept in the outbox (`/admin/outbox`, administrators only) and not delivered."""
    port: int = 25
    """SMTP server port."""
    username: str = ""
    """SMTP user name, if the server requires authentication."""
    password: str = ""
    """SMTP password."""
    use_tls: bool = False
    """Use STARTTLS after connecting."""
    sender: str = "City Grants Portal <no-reply@portal.localhost>"
    """The From: address of every email."""
    timeout_seconds: int = 20
    """Seconds the SMTP client waits for each step of a conversation with the server."""
    reclaim_after_seconds: int = 300
    """A row claimed for sending longer ago than this is taken as lost (its worker died mid-send) and is sent
    again, with the same Message-ID. Keep it well above `timeout_seconds`: a slow send must not be doubled."""
    retry_first_seconds: int = 30
    """Delay before the second attempt after a failure; each later delay doubles (with jitter) up to the maximum."""
    retry_max_seconds: int = 1800
    """The longest delay between two attempts."""
    retry_for_hours: int = 48
    """How long an email is retried before it is marked failed (administrators can requeue it)."""
    poll_seconds: int = 3
    """How often the outbox worker looks for retries that are due and rows to reclaim when nothing woke it (a
    response that queued mail wakes it at once)."""


STRIPE_JS_URL = "https://js.stripe.com/v3/"


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str = ""
    """Stripe secret API key (sk_...). Empty: the Stripe rail is off."""
    webhook_secret: str = ""
    """Signing secret of the webhook endpoint (whsec_...)."""
    api_base: str = ""
    """Stripe's API address for every endpoint, Connect and payments alike (empty: https://api.stripe.com).
    The tests point it at a local server (tests/stripe_servers.py); production must leave it empty or https."""
    publishable_key: str = ""
    """Stripe publishable key (pk_...), given to Stripe.js in the funder's browser to confirm a pledge payment by
    card. Empty: the pledge page offers no card payment and says how else to pay."""
    js_url: str = STRIPE_JS_URL
    """Where the browser loads Stripe.js from. Stripe requires it from js.stripe.com (never bundled); the tests
    point it at their fake (tests/stripe_connect_fake.py); production must keep it https."""
    timeout_seconds: int = 30
    """Seconds the portal waits for each answer of Stripe's API (the SDK then retries twice with the same
    idempotency key; after that the transfer waits for the payment retry worker)."""
    retry_first_seconds: int = 60
    """Delay before the payment retry worker sends a transfer again after Stripe could not be reached; each
    later delay doubles (with jitter) up to `retry_max_seconds`."""
    retry_max_seconds: int = 1800
    """The longest delay between two automatic sends of one transfer."""
    retry_for_hours: int = 12
    """How long a transfer Stripe could not be reached for is sent again automatically (with the same idempotency
    key); then it is marked as needing attention for staff, never failed. At most 23: Stripe keeps an
    idempotency key for 24 hours, and only within them does a repeated request return the first transfer."""

    @property
    def configured(self) -> bool:
        return bool(self.secret_key)

    @property
    def card_payments(self) -> bool:
        """The browser can pay by card: a secret key for the PaymentIntent, a publishable key for Stripe.js."""
        return bool(self.secret_key and self.publishable_key)


@dataclass(frozen=True)
class Settings:
    env: str
    """`development` (default) or `production`."""
    secret_key: str
    """Keys the signing of tokens; generated and kept in the data directory for the demo."""
    data_dir: Path
    """Where the SQLite database, uploaded files and generated letters are kept."""
    public_url: str
    """The address users reach the portal at; used in emailed links."""
    database: DatabaseSettings
    mail: MailSettings = field(default_factory=MailSettings)
    stripe: StripeSettings = field(default_factory=StripeSettings)
    session_hours: int = 12
    """How long a session lives without being renewed (the idle limit: each use renews it)."""
    session_max_hours: int = 24
    """How long a session lives at most from sign-in, however often it is used; then sign in again."""
    secure_cookies: bool = False
    """Send cookies with `Secure` and the `__Host-` prefix; on by default in production."""
    login_attempts_per_15min: int = 10
    """Failed sign-ins per email address from one client address before each further try must wait (a delay that
    doubles with every failure, up to 15 minutes). The owner signing in from elsewhere is never slowed."""
    login_failures_per_address_15min: int = 100
    """Failed sign-ins one client address may make in 15 minutes, whatever the email addresses; then it waits."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of the reverse proxies in front of the portal. Only a request from one of them
    has its `X-Forwarded-For` believed; the client address (for throttling and the audit trail) is then the
    nearest address in that header that is not itself a trusted proxy. Empty: the peer address is the client."""
    hsts_seconds: int = 0
    """`Strict-Transport-Security: max-age` sent on every response (0: not sent). A year by default in
    production; never in development or the demo, which run on plain http."""
    reminder_interval_seconds: int = 900
    """How often each process looks for deadline reminders to send (0: never; `portal send-reminders` still
    sends them, e.g. from cron)."""
    access_log: bool = False
    """Log one line per request (`GET /programs 200`, logger `portal.access`); off by default."""
    two_factor_required_for_staff: bool = True
    """Staff and administrators must set up two-factor sign-in (an authenticator app or a passkey) before they
    can use any other page: they control payouts. `portal demo` turns it off for its demo accounts, and says so."""
    letter_reclaim_after_seconds: int = 120
    """A running letter batch whose worker has not recorded a letter (its heartbeat) for this long is taken as
    abandoned (its process died) and is resumed by any process, after the letters it already made. Keep it well
    above the time one letter takes (the first, in a fresh process, starts the PDF renderer: a few seconds)."""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def _env(environ: dict[str, str], name: str, default: str = "") -> str:
    return environ.get(name, default).strip()


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = _env(environ, name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(environ: dict[str, str], name: str, default: bool) -> bool:
    raw = _env(environ, name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _networks(environ: dict[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or CIDR networks, each checked and written in canonical form."""
    networks = []
    for raw in _env(environ, name).split(","):
        if not raw.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(raw.strip(), strict=False)))
        except ValueError as exc:
            raise SettingsError(f"{name} must list IP addresses or networks (CIDR), not {raw.strip()!r}") from exc
    return tuple(networks)


def _demo_secret(data_dir: Path) -> str:
    """The demo's secret key: generated once and kept beside its database."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment (`os.environ` unless given)."""
    environ = dict(os.environ if environ is None else environ)
    env = _env(environ, "PORTAL_ENV", "development")
    if env not in {"development", "production"}:
        raise SettingsError(f"PORTAL_ENV must be development or production, not {env!r}")
    production = env == "production"
    data_dir = Path(_env(environ, "PORTAL_DATA_DIR", str(ROOT / "data"))).resolve()
    secret_key = _env(environ, "PORTAL_SECRET_KEY")
    if not secret_key:
        if production:
            raise SettingsError("PORTAL_SECRET_KEY is required when PORTAL_ENV=production")
        secret_key = _demo_secret(data_dir)
    elif len(secret_key) < 32:
        raise SettingsError("PORTAL_SECRET_KEY must be at least 32 characters")
    public_url = _env(environ, "PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    if production and not public_url.startswith("https://"):
        raise SettingsError("PORTAL_PUBLIC_URL must be an https:// address in production")
    db_url = _env(environ, "DATABASE_URL", f"sqlite:///{data_dir / 'portal.sqlite3'}")
    if not db_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError("DATABASE_URL must start with sqlite:/// or postgresql://")
    stripe_key, stripe_hook = _env(environ, "STRIPE_SECRET_KEY"), _env(environ, "STRIPE_WEBHOOK_SECRET")
    stripe_base = _env(environ, "STRIPE_API_BASE").rstrip("/")
    if production and stripe_base and not stripe_base.startswith("https://"):
        raise SettingsError("STRIPE_API_BASE must be an https:// address in production")
    stripe_pk = _env(environ, "STRIPE_PUBLISHABLE_KEY")
    if stripe_pk and not stripe_pk.startswith("pk_"):
        raise SettingsError("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...), never the secret key")
    stripe_js = _env(environ, "STRIPE_JS_URL") or STRIPE_JS_URL
    if not stripe_js.startswith(("https://", "http://")):
        raise SettingsError("STRIPE_JS_URL must be an http(s):// address")
    if production and not stripe_js.startswith("https://"):
        raise SettingsError("STRIPE_JS_URL must be an https:// address in production (Stripe serves it from "
                            f"{STRIPE_JS_URL})")
    stripe_timeout = _int(environ, "STRIPE_TIMEOUT_SECONDS", StripeSettings.timeout_seconds)
    pay_first = _int(environ, "PAYMENT_RETRY_FIRST_SECONDS", StripeSettings.retry_first_seconds)
    pay_max = _int(environ, "PAYMENT_RETRY_MAX_SECONDS", StripeSettings.retry_max_seconds)
    pay_for = _int(environ, "PAYMENT_RETRY_FOR_HOURS", StripeSettings.retry_for_hours)
    if stripe_timeout < 1:
        raise SettingsError("STRIPE_TIMEOUT_SECONDS must be at least 1")
    if pay_first < 1 or pay_max < pay_first or not 1 <= pay_for <= 23:
        raise SettingsError("PAYMENT_RETRY_FIRST_SECONDS must be at least 1, PAYMENT_RETRY_MAX_SECONDS at least "
                            "PAYMENT_RETRY_FIRST_SECONDS, and PAYMENT_RETRY_FOR_HOURS from 1 to 23 (Stripe keeps an "
                            "idempotency key for 24 hours)")
    if production and stripe_key and not stripe_hook:
        raise SettingsError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set in production "
                            "(payments are confirmed by Stripe's webhook)")
    session_hours = _int(environ, "SESSION_HOURS", 12)
    session_max_hours = _int(environ, "SESSION_MAX_HOURS", max(24, session_hours))
    if session_hours < 1 or session_max_hours < session_hours:
        raise SettingsError("SESSION_HOURS must be at least 1, and SESSION_MAX_HOURS at least SESSION_HOURS")
    mail_timeout = _int(environ, "SMTP_TIMEOUT_SECONDS", MailSettings.timeout_seconds)
    mail_reclaim = _int(environ, "MAIL_RECLAIM_AFTER_SECONDS", MailSettings.reclaim_after_seconds)
    mail_first = _int(environ, "MAIL_RETRY_FIRST_SECONDS", MailSettings.retry_first_seconds)
    mail_max = _int(environ, "MAIL_RETRY_MAX_SECONDS", MailSettings.retry_max_seconds)
    mail_for = _int(environ, "MAIL_RETRY_FOR_HOURS", MailSettings.retry_for_hours)
    mail_poll = _int(environ, "MAIL_POLL_SECONDS", MailSettings.poll_seconds)
    if mail_timeout < 1 or mail_reclaim <= mail_timeout:
        raise SettingsError("SMTP_TIMEOUT_SECONDS must be at least 1, and MAIL_RECLAIM_AFTER_SECONDS longer than it "
                            "(a send still under way must not be sent twice)")
    if mail_first < 1 or mail_max < mail_first or mail_for < 1:
        raise SettingsError("MAIL_RETRY_FIRST_SECONDS and MAIL_RETRY_FOR_HOURS must be at least 1, and "
                            "MAIL_RETRY_MAX_SECONDS at least MAIL_RETRY_FIRST_SECONDS")
    if mail_poll < 1:
        raise SettingsError("MAIL_POLL_SECONDS must be at least 1")
    letter_reclaim = _int(environ, "LETTER_RECLAIM_AFTER_SECONDS", Settings.letter_reclaim_after_seconds)
    if letter_reclaim < 1:
        raise SettingsError("LETTER_RECLAIM_AFTER_SECONDS must be at least 1")
    return Settings(
        env=env,
        secret_key=secret_key,
        data_dir=data_dir,
        public_url=public_url,
        database=DatabaseSettings(url=db_url, pool_size=_int(environ, "DATABASE_POOL_SIZE", 10)),
        mail=MailSettings(
            host=_env(environ, "SMTP_HOST"),
            port=_int(environ, "SMTP_PORT", 25),
            username=_env(environ, "SMTP_USERNAME"),
            password=_env(environ, "SMTP_PASSWORD"),
            use_tls=_bool(environ, "SMTP_STARTTLS", False),
            sender=_env(environ, "MAIL_FROM", MailSettings.sender),
            timeout_seconds=mail_timeout,
            reclaim_after_seconds=mail_reclaim,
            retry_first_seconds=mail_first,
            retry_max_seconds=mail_max,
            retry_for_hours=mail_for,
            poll_seconds=mail_poll,
        ),
        stripe=StripeSettings(secret_key=stripe_key, webhook_secret=stripe_hook, api_base=stripe_base,
                              publishable_key=stripe_pk, js_url=stripe_js, timeout_seconds=stripe_timeout,
                              retry_first_seconds=pay_first, retry_max_seconds=pay_max, retry_for_hours=pay_for),
        session_hours=session_hours,
        session_max_hours=session_max_hours,
        secure_cookies=_bool(environ, "SECURE_COOKIES", production),
        login_attempts_per_15min=_int(environ, "LOGIN_ATTEMPTS_PER_15MIN", 10),
        login_failures_per_address_15min=_int(environ, "LOGIN_FAILURES_PER_ADDRESS_15MIN", 100),
        trusted_proxies=_networks(environ, "TRUSTED_PROXIES"),
        hsts_seconds=_int(environ, "HSTS_SECONDS", 31536000 if production else 0),
        reminder_interval_seconds=_int(environ, "REMINDER_INTERVAL_SECONDS", 900),
        access_log=_bool(environ, "PORTAL_ACCESS_LOG", False),
        two_factor_required_for_staff=_bool(environ, "TWO_FACTOR_REQUIRED_FOR_STAFF", True),
        letter_reclaim_after_seconds=letter_reclaim,
    )
