"""The Piccolo app: every table of the portal and the one migration history in `migrations/`."""

from piccolo.conf.apps import AppConfig

from portal.accounts.tables import Invitation, LoginAttempt, Membership, Organisation, PasswordReset, Session, User
from portal.accounts.two_factor.tables import Passkey, RecoveryCode, SecondFactorFailure, TotpFactor, TwoFactorChallenge
from portal.applications.tables import (
    Application,
    ApplicationFile,
    ApplicationPresence,
    DeadlineReminder,
    PendingSave,
    TeamMember,
)
from portal.applications.team.tables import Signature, TeamInvitation
from portal.awards.decisions.tables import Decision
from portal.awards.tables import Award, AwardAcceptance
from portal.awards.tranches.tables import Tranche
from portal.core.tables import AuditEvent, OutboundEmail
from portal.letters.tables import Letter, LetterBatch, LetterTemplate
from portal.payments.onboarding.tables import OrganisationPayout
from portal.payments.tables import Payment, StripeEvent
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder, ProgramRole
from portal.reporting.tables import Report
from portal.reviews.tables import (
    Assignment,
    PanelMember,
    PanelOutcome,
    ReviewConflict,
    ReviewPanel,
    ReviewPreference,
    ReviewRevision,
    Score,
)
from portal.settings import ROOT

ALL_TABLES = [
    User,
    Organisation,
    Membership,
    Session,
    PasswordReset,
    Invitation,
    LoginAttempt,
    AuditEvent,
    OutboundEmail,
    Program,
    ProgramFunder,
    ProgramRole,
    FormVersion,
    Criterion,
    Application,
    ApplicationFile,
    ApplicationPresence,
    PendingSave,
    TeamMember,
    TeamInvitation,
    Signature,
    DeadlineReminder,
    ReviewPanel,
    PanelMember,
    ReviewConflict,
    ReviewPreference,
    Assignment,
    Score,
    ReviewRevision,
    PanelOutcome,
    Award,
    Decision,
    Report,
    Payment,
    StripeEvent,
    AwardAcceptance,
    Tranche,
    OrganisationPayout,
    LetterTemplate,
    LetterBatch,
    Letter,
    TotpFactor,
    RecoveryCode,
    Passkey,
    TwoFactorChallenge,
    SecondFactorFailure,
]

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
