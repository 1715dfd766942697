"""Account state changes. Each function says what it writes, audits and sends."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta

from portal.accounts import hooks, queries, sessions
from portal.accounts.records import AcceptedInvitation, InvitationRecord, PasswordResetRecord
from portal.accounts.tables import Invitation, LoginAttempt, Membership, Organisation, PasswordReset, User
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Forbidden, Conflict, Invalid, TooManyRequests
from portal.core.mail import kick as kick_outbox, queue_email
from portal.core.security import hash_password_async, new_token, token_hash, verify_password_async
from portal.db import Duplicate, write_transaction
from portal.programs.tables import ProgramRole

RESET_VALID_FOR = timedelta(hours=1)
INVITATION_VALID_FOR = timedelta(days=14)
FAILURE_WINDOW = timedelta(minutes=15)
"""Failed sign-ins older than this no longer count."""
FIRST_WAIT = timedelta(minutes=1)
RESET_REQUESTS_PER_ADDRESS = 10
"""Reset requests one client address may make in an hour."""
RESET_LINKS_PER_EMAIL = 3
"""Reset links sent to one email address in an hour."""
# login_attempt rows are throttled tries of two kinds (in `detail`): sign-ins, and reset requests.
SIGN_IN_TRYING, SIGN_IN_FAILED, RESET_REQUEST = "trying", "failed", "reset"


async def register_user(actor: Actor, name: str, email: str, password: str, public_url: str) -> int | None:
    """Create a user and return its id. If the email already has an account, nothing is created and None is
    returned: the page must answer as for a new account (never "this email is taken", which tells anyone who
    has an account), and the owner is emailed instead, with links to sign in or reset the password.
    Writes: user; audit `user.registered`. Or: audit `user.registration_for_existing`; email `account_exists`.
    The same work either way (the password is hashed first), so the time does not tell either."""
    password_hash = await hash_password_async(password)
    try:
        async with write_transaction():
            rows = await User.insert(
                User(email=email, name=name, password_hash=password_hash, created_at=clock.now())
            ).returning(User.id)
            user_id: int = rows[0]["id"]
            await audit.record(actor, "user.registered", "user", user_id)
    except Duplicate:
        async with write_transaction():
            owner = await queries.user_by_email(email)
            await audit.record(actor, "user.registration_for_existing", "user", owner.id if owner else None)
            await queue_email(email, "account_exists", {"name": owner.name if owner else "",
                                                        "login": f"{public_url}/login",
                                                        "reset": f"{public_url}/reset"})
        return None
    return user_id


async def create_user(actor: Actor, name: str, email: str, password: str, is_admin: bool = False) -> int:
    """Create a user directly (CLI, demo seed). Writes: user; audit `user.created`."""
    password_hash = await hash_password_async(password)
    async with write_transaction():
        rows = await User.insert(
            User(email=email.lower(), name=name, password_hash=password_hash, is_admin=is_admin,
                 created_at=clock.now())
        ).returning(User.id)
        user_id: int = rows[0]["id"]
        await audit.record(actor, "user.created", "user", user_id, is_admin=is_admin)
    return user_id


def wait_after(failures: int, free: int) -> timedelta:
    """How long after the last failure an email + address pair must wait before its next try: not at all for
    the first `free` failures, then a minute, doubling with each further failure, up to FAILURE_WINDOW."""
    if failures < free:
        return timedelta(0)
    doublings: int = 2 ** min(failures - free, 10)
    return min(FIRST_WAIT * doublings, FAILURE_WINDOW)


def _wait_message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Wait {minutes} {unit} and try again, or reset your password."


async def authenticate(actor: Actor, email: str, password: str, *, free_failures: int, address_failures: int) -> int:
    """The user id for a correct email and password.

    Throttling that a guesser cannot turn against the account's owner (nothing is ever locked):
    - per email + client address: after `free_failures` failures in FAILURE_WINDOW each further try waits
      (`wait_after`), so a guesser elsewhere never slows the owner down;
    - per client address: past `address_failures` failures in FAILURE_WINDOW (whatever the emails) it waits.
    The client address is the real one behind trusted proxies (web/proxy.py). Each try is written before it is
    counted, in the database, so concurrent tries in any number of processes see one another.
    Writes: a login_attempt row per try (kept when it fails, removed with the pair's others on success);
    audit `user.sign_in_failed` (with the address) per wrong password, `user.signed_in` on success.
    Raises TooManyRequests while throttled (the password is then not checked), Invalid when it is wrong.
    """
    now = clock.now()
    since = now - FAILURE_WINDOW
    ip = actor.ip[:64]
    rows = await LoginAttempt.insert(LoginAttempt(email=email[:320], ip_address=ip, at=now, detail=SIGN_IN_TRYING)
                                     ).returning(LoginAttempt.id)
    mine = rows[0]["id"]
    others = (LoginAttempt.id != mine) & (LoginAttempt.at > since) & (LoginAttempt.detail != RESET_REQUEST)
    pair = await LoginAttempt.select(LoginAttempt.at).where(
        others & (LoginAttempt.email == email[:320]) & (LoginAttempt.ip_address == ip)
    ).order_by(LoginAttempt.at, ascending=False)
    from_address = await LoginAttempt.count().where(others & (LoginAttempt.ip_address == ip))
    wait = wait_after(len(pair), free_failures)
    ready_at = clock.as_utc(pair[0]["at"]) + wait if pair else now
    if from_address >= address_failures or ready_at > now:
        await LoginAttempt.delete().where(LoginAttempt.id == mine)  # a refused try is not a failure
        raise TooManyRequests(_wait_message(ready_at - now if ready_at > now else FAILURE_WINDOW))
    # The one read of a password hash: it never leaves this function (a UserRecord does not carry it).
    user = await User.select(User.id, User.password_hash, User.is_active).where(User.email == email).first()
    right = await verify_password_async(user["password_hash"] if user else None, password)
    if user is None or not right or not user["is_active"]:
        async with write_transaction():
            await LoginAttempt.update({LoginAttempt.detail: SIGN_IN_FAILED}).where(LoginAttempt.id == mine)
            await audit.record(actor, "user.sign_in_failed", "user", user["id"] if user else None, email=email[:320])
        raise Invalid({"email": "The email or password is not right."})
    user_id: int = user["id"]
    async with write_transaction():
        await LoginAttempt.delete().where((LoginAttempt.email == email[:320]) & (LoginAttempt.ip_address == ip)
                                          & (LoginAttempt.detail != RESET_REQUEST))
        await audit.record(actor, "user.signed_in", "user", user_id)
    return user_id


async def record_sign_out(actor: Actor) -> None:
    """Writes: audit `user.signed_out` (the session itself is ended by the web layer)."""
    if actor.user_id is not None:
        await audit.record(actor, "user.signed_out", "user", actor.user_id)


async def request_password_reset(actor: Actor, email: str) -> bool:
    """Note a request for a reset link, and say whether a link may be sent (`send_password_reset`, after the
    response). The same work whether or not the account exists, so neither the answer nor its time tells.
    Limits: RESET_REQUESTS_PER_ADDRESS an hour from one client address (past it: TooManyRequests);
    RESET_LINKS_PER_EMAIL an hour to one address (past it: False, and the page says the same as ever: the links
    already sent still work, and a stranger cannot flood someone's inbox).
    Writes: a login_attempt row of kind RESET_REQUEST."""
    now = clock.now()
    since = now - timedelta(hours=1)
    ip = actor.ip[:64]
    recent = (LoginAttempt.detail == RESET_REQUEST) & (LoginAttempt.at > since)
    if await LoginAttempt.count().where(recent & (LoginAttempt.ip_address == ip)) >= RESET_REQUESTS_PER_ADDRESS:
        raise TooManyRequests("Too many password reset requests from your network. Wait an hour and try again.")
    await LoginAttempt.insert(LoginAttempt(email=email[:320], ip_address=ip, at=now, detail=RESET_REQUEST))
    sent: int = await LoginAttempt.count().where(recent & (LoginAttempt.email == email[:320]))
    return sent <= RESET_LINKS_PER_EMAIL


async def send_password_reset(actor: Actor, email: str, public_url: str) -> None:
    """Email a one-time reset link valid for an hour, if the account exists (run after the response, so that
    its time is not part of it). Writes: password_reset; audit `user.password_reset_requested`; email
    `password_reset`."""
    user = await queries.active_user_by_email(email)
    if user is None:
        return
    token = new_token()
    async with write_transaction():
        await PasswordReset.insert(
            PasswordReset(token_hash=token_hash(token), user=user.id, created_at=clock.now(),
                          expires_at=clock.now() + RESET_VALID_FOR)
        )
        await audit.record(actor, "user.password_reset_requested", "user", user.id)
        await queue_email(email, "password_reset", {"name": user.name, "link": f"{public_url}/reset/{token}",
                                                    "hours": 1})
    kick_outbox()


async def find_reset(token: str) -> PasswordResetRecord | None:
    """The unused, unexpired reset for `token`, or None."""
    row = await PasswordReset.select().where(
        (PasswordReset.token_hash == token_hash(token))
        & (PasswordReset.used_at.is_null())
        & (PasswordReset.expires_at > clock.now())
    ).first()
    return PasswordResetRecord.of(row) if row else None


async def reset_owner_words(token: str) -> list[str]:
    """The email and name of the account a live reset link is for (a new password must not contain them)."""
    reset = await find_reset(token)
    if reset is None:
        return []
    user = await queries.get_user(reset.user)
    return [user.email, user.name] if user else []


async def reset_password(actor: Actor, token: str, password: str) -> int:
    """Set a new password through a reset link, once. Writes: user password, used_at of this and every other
    outstanding reset of the user; ends every session of the user; audit `user.password_reset`. Raises Conflict
    if the link is used or expired."""
    password_hash = await hash_password_async(password)
    async with write_transaction():
        reset = await find_reset(token)
        if reset is None:
            raise Conflict("This reset link has expired or was already used. Ask for a new one.")
        claimed = await PasswordReset.update({PasswordReset.used_at: clock.now()}).where(
            (PasswordReset.id == reset.id) & (PasswordReset.used_at.is_null())
        ).returning(PasswordReset.id)
        if not claimed:
            raise Conflict("This reset link was already used. Ask for a new one.")
        await User.update({User.password_hash: password_hash}).where(User.id == reset.user)
        # Every other link of the account dies with this one: a link in an old email, or one an attacker asked
        # for, cannot set the password again.
        await PasswordReset.update({PasswordReset.used_at: clock.now()}).where(
            (PasswordReset.user == reset.user) & (PasswordReset.used_at.is_null()))
        await sessions.end_sessions_of(reset.user)
        await audit.record(actor, "user.password_reset", "user", reset.user)
    return reset.user


async def add_membership(actor: Actor, user_id: int, organisation_id: int, role: str) -> None:
    """Writes: membership (once); audit `membership.added`."""
    async with write_transaction():
        exists = await Membership.exists().where((Membership.user == user_id) & (Membership.organisation == organisation_id))
        if exists:
            return
        await Membership.insert(Membership(user=user_id, organisation=organisation_id, role=role, created_at=clock.now()))
        await audit.record(actor, "membership.added", "organisation", organisation_id, user_id=user_id, role=role)


async def create_organisation(actor: Actor, kind: str, name: str, slug: str, *, state: str = "",
                              population: int | None = None, email_domain: str = "") -> int:
    """Writes: organisation; audit `organisation.created`."""
    async with write_transaction():
        rows = await Organisation.insert(
            Organisation(kind=kind, name=name, slug=slug, state=state, population=population,
                         email_domain=email_domain, created_at=clock.now())
        ).returning(Organisation.id)
        organisation_id: int = rows[0]["id"]
        await audit.record(actor, "organisation.created", "organisation", organisation_id, kind=kind)
    return organisation_id


async def invite(actor: Actor, email: str, role: str, public_url: str, *, organisation_id: int | None = None,
                 program_id: int | None = None, context: Mapping[str, object] | None = None) -> int:
    """Invite `email` to a role (reviewer on a program, funder or staff of an organisation, city member).
    Writes: invitation; audit `invitation.sent`; email `invitation` with a 14-day accept link."""
    token = new_token()
    async with write_transaction():
        rows = await Invitation.insert(
            Invitation(token_hash=token_hash(token), email=email, role=role, organisation=organisation_id,
                       program_id=program_id, invited_by=actor.user_id, created_at=clock.now(),
                       expires_at=clock.now() + INVITATION_VALID_FOR)
        ).returning(Invitation.id)
        invitation_id: int = rows[0]["id"]
        await audit.record(actor, "invitation.sent", "invitation", invitation_id, email=email, role=role,
                           program_id=program_id, organisation_id=organisation_id)
        await queue_email(email, "invitation", {"role": role, "link": f"{public_url}/invitations/{token}",
                                                "inviter": actor.user.name if actor.user else "The portal",
                                                **(context or {})}, program=program_id)
    return invitation_id


async def find_invitation(token: str) -> InvitationRecord | None:
    """The unaccepted, unexpired invitation for `token`, or None."""
    row = await Invitation.select().where(
        (Invitation.token_hash == token_hash(token))
        & (Invitation.accepted_at.is_null())
        & (Invitation.expires_at > clock.now())
    ).first()
    return InvitationRecord.of(row) if row else None


async def accept_invitation(actor: Actor, token: str, user_id: int, user_email: str) -> AcceptedInvitation:
    """Take the role an invitation offers, once, as the person it was sent to. Writes: membership or program
    role; invitation accepted; audit `invitation.accepted`. A reviewer also joins the program's review panel,
    if it has one (through accounts/hooks.py, which reviews.panels.services serves; the answer then has
    `panel_id`).
    Raises Conflict if used or expired, Forbidden if `user_email` is not the invited address (a forwarded link
    does not hand a reviewer's seat, or a funder's view, to someone else)."""
    panel_id: int | None = None
    async with write_transaction():
        invitation = await find_invitation(token)
        if invitation is None:
            raise Conflict("This invitation has expired or was already used. Ask for a new one.")
        if invitation.email.lower() != user_email.strip().lower():
            raise Forbidden(f"This invitation was sent to {invitation.email}, and you are signed in as "
                            f"{user_email}. Sign out, then sign in or create an account with {invitation.email}.")
        await Invitation.update({Invitation.accepted_at: clock.now(), Invitation.accepted_by: user_id}).where(
            Invitation.id == invitation.id
        )
        if invitation.role == "reviewer" and invitation.program_id:
            already = await ProgramRole.exists().where(
                (ProgramRole.program == invitation.program_id) & (ProgramRole.user == user_id)
                & (ProgramRole.role == "reviewer")
            )
            if not already:
                await ProgramRole.insert(ProgramRole(program=invitation.program_id, user=user_id, role="reviewer",
                                                     created_at=clock.now()))
            panel_id = await hooks.reviewer_joined(actor, invitation.program_id, user_id)
        elif invitation.organisation:
            await add_membership(actor, user_id, invitation.organisation, invitation.role)
        await audit.record(actor, "invitation.accepted", "invitation", invitation.id, user_id=user_id)
    return AcceptedInvitation(invitation=invitation, panel_id=panel_id)
