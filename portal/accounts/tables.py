"""People, the organisations they belong to, and their sessions."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class User(Table, tablename="portal_user"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    email = Varchar(length=320, unique=True)  # stored lower-cased
    name = Varchar(length=200)
    password_hash = Varchar(length=200)
    is_admin = Boolean(default=False)
    is_active = Boolean(default=True)
    created_at = Timestamptz()


class Organisation(Table, tablename="organisation"):
    """A city (applicant), a network that runs programs, or a funder."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    kind = Varchar(length=16, index=True)  # city | network | funder
    name = Varchar(length=200)
    slug = Varchar(length=80, unique=True)
    state = Varchar(length=2, default="")  # US state code, for cities
    population = Integer(null=True, default=None)
    email_domain = Varchar(length=200, default="")
    created_at = Timestamptz()


class Membership(Table, tablename="membership"):
    """A user's role in an organisation: city owner/member, network staff, funder."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)  # owner | member | staff | funder
    created_at = Timestamptz()

    # unique (user, organisation): a unique index in migrations/ (SQLite cannot add constraints)


class Session(Table, tablename="web_session"):
    """A server-side session. The cookie holds the token; only its SHA-256 is stored."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, null=True, on_delete=OnDelete.cascade, index=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    ip_address = Varchar(length=64, default="")


class PasswordReset(Table, tablename="password_reset"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="invitation"):
    """An emailed invitation to take a role: reviewer or staff on a program, funder, or city member."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    email = Varchar(length=320, index=True)
    role = Varchar(length=16)  # reviewer | staff | funder | member
    organisation = ForeignKey(Organisation, null=True, on_delete=OnDelete.cascade)
    program_id = Integer(null=True, default=None)
    invited_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    accepted_by = Integer(null=True, default=None)


class LoginAttempt(Table, tablename="login_attempt"):
    """Throttled tries, counted per email and per client address (shared by all workers): sign-ins (`detail`
    "trying", then "failed"; removed on success) and password-reset requests (`detail` "reset")."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    email = Varchar(length=320, index=True)
    ip_address = Varchar(length=64, index=True)
    at = Timestamptz(index=True)
    detail = Text(default="")
