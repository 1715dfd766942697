"""The `portal` command: migrate, seed the demo, create a staff user, serve, or all of it (`portal demo`)."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

import click

if TYPE_CHECKING:  # the commands import the portal inside themselves, as this module does not at load time
    from portal.settings import Settings

T = TypeVar("T")

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")


def _settings() -> Settings:
    from portal.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _refuse_in_production(command: str) -> None:
    """The demo's accounts share one published password: never load them into a production portal."""
    if os.environ.get("PORTAL_ENV", "").strip() == "production":
        raise click.ClickException(
            f"`portal {command}` creates accounts with the published demo password, so it does not run with "
            "PORTAL_ENV=production. Use `portal create-staff` to add real accounts.")


def local_url(host: str, port: int) -> str:
    """The address a browser on this machine reaches `portal serve --host HOST --port PORT` at."""
    if host in {"", "0.0.0.0", "::"}:  # every interface: this machine's own address reaches it
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _public_url_follows(host: str, port: int) -> None:
    """Unless PORTAL_PUBLIC_URL is set, emailed links point at the address being served: `--port 8001` moves
    them too. (The server's processes read their settings from this environment.)"""
    if not os.environ.get("PORTAL_PUBLIC_URL", "").strip():
        os.environ["PORTAL_PUBLIC_URL"] = local_url(host, port)


async def _with_engine(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from portal import db
    from portal.awards.tranches import services  # noqa: F401  (a command that moves a payment moves its tranche too)

    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        return await work()
    finally:
        await db.close_engine(engine)


@click.group()
def main() -> None:
    """City Grants Portal."""


@main.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from portal import db

    asyncio.run(_with_engine(_settings(), db.migrate))
    click.echo("Database is up to date.")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo programs, cities and people (only into an empty database)."""
    from portal.demo import print_accounts, seed

    _refuse_in_production("seed-demo")
    settings = _settings()
    created = asyncio.run(_with_engine(settings, lambda: seed(settings)))
    click.echo("Demo data loaded." if created else "The database already has data; demo not loaded again.")
    print_accounts()


@main.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--network", "network_slug", required=True, help="Slug of the network organisation the staff member runs programs for.")
@click.option("--admin", is_flag=True, help="Also make the user an administrator.")
@click.password_option()
def create_staff(email: str, name: str, network_slug: str, admin: bool, password: str) -> None:
    """Create a program staff user in a network."""
    from portal.accounts import services
    from portal.accounts.forms import MIN_PASSWORD, clean_email
    from portal.accounts.tables import Organisation
    from portal.core.actor import Actor
    from portal.db import Duplicate

    clean = clean_email(email)
    if clean is None:
        raise click.ClickException("That is not a valid email address.")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD} characters.")
    from portal.accounts.passwords import weakness

    if reason := weakness(password, [clean, name]):
        raise click.ClickException(reason)

    async def work() -> None:
        network = await Organisation.select(Organisation.id).where(
            (Organisation.slug == network_slug) & (Organisation.kind == "network")).first()
        if network is None:
            raise click.ClickException(f"No network with slug {network_slug!r}.")
        system = Actor(user=None, ip="cli")
        try:
            user_id = await services.create_user(system, name, clean, password, is_admin=admin)
        except Duplicate:
            raise click.ClickException(f"A user with the email {clean} already exists.") from None
        await services.add_membership(system, user_id, network["id"], "staff")

    asyncio.run(_with_engine(_settings(), work))
    click.echo(f"Staff user {clean} created.")


@main.command("send-reminders")
def send_reminders() -> None:
    """Queue the deadline reminders now due (7 days and 1 day before; each at most once per application)."""
    from portal.applications.lifecycle import send_deadline_reminders
    from portal.core import clock

    settings = _settings()
    sent = asyncio.run(_with_engine(settings, lambda: send_deadline_reminders(clock.now(), settings.public_url)))
    click.echo(f"{sent} deadline reminder(s) queued.")


@main.command("release-due-tranches")
def release_due_tranches() -> None:
    """Release the date-triggered tranches now due on accepted awards (and disburse them through Stripe when the
    grantee can receive payouts; otherwise they wait for the manual rail). Run it daily, e.g. from cron."""
    from portal.awards.tranches.services import gateway_or_none, release_due
    from portal.core import clock

    settings = _settings()
    released = asyncio.run(_with_engine(settings, lambda: release_due(clock.now().date(), gateway_or_none(settings))))
    click.echo(f"{released} tranche(s) released.")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain: exit 0 if it holds, 1 naming the first broken link."""
    from portal.core.audit import verify_chain

    report = asyncio.run(_with_engine(_settings(), verify_chain))
    if report.broken_at is not None:
        raise click.ClickException(f"The audit chain is broken at row {report.broken_at}: {report.reason}. "
                                   f"The {report.rows} row(s) before it hold.")
    click.echo(f"The audit chain holds: {report.rows} row(s), last hash {report.head}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the portal with Granian."""
    from granian import Granian
    from granian.constants import Interfaces

    _public_url_follows(host, port)
    Granian("portal.app:create_app", factory=True, address=host, port=port, workers=workers,
            interface=Interfaces.ASGI, log_access=False).serve()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Migrate, load the demo data if the database is empty, print the demo accounts, and serve."""
    _refuse_in_production("demo")
    ctx.invoke(migrate)
    ctx.invoke(seed_demo)
    # The demo's staff and administrators have no second factor, so that anyone can try them with the password
    # alone; production requires one (docs/configuration.md). Said out loud, and overridable.
    os.environ.setdefault("TWO_FACTOR_REQUIRED_FOR_STAFF", "false")
    if os.environ["TWO_FACTOR_REQUIRED_FOR_STAFF"].strip().lower() in {"0", "false", "no", "off"}:
        click.echo("\nThis demo does NOT require two-factor sign-in of staff and administrators "
                   "(TWO_FACTOR_REQUIRED_FOR_STAFF=false);\nproduction does. Any account can add an authenticator "
                   "app or a passkey under Account security.")
    click.echo(f"\nThe portal is at {local_url(host, port)}  (Ctrl+C stops it)\n")
    sys.stdout.flush()
    ctx.invoke(serve, host=host, port=port, workers=1)


if __name__ == "__main__":
    main()
