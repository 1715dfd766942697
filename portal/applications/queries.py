"""Reading applications: my cities' applications, one city's, an application's files, and one's place on its team."""

from __future__ import annotations

from datetime import datetime

from portal.accounts.tables import Organisation, User
from portal.applications.records import (
    ApplicationFileRecord,
    ApplicationRow,
    City,
    DraftRow,
    Presence,
    Recipient,
    StatusEvent,
    WithdrawnRow,
)
from portal.applications.tables import Application, ApplicationFile, ApplicationPresence, TeamMember
from portal.core.tables import AuditEvent
from portal.db import placeholders


# On every city member's dashboard and list: plain SQL, one round trip (the columns of an ApplicationRow).
CITY_LIST_SQL = """
SELECT ap.id, ap.status, ap.title, ap.requested_cents, ap.updated_at, ap.submitted_at, ap.receipt_number,
       ap.organisation, o.name AS city_name, p.id AS program_id, p.title AS program_title, p.slug AS program_slug,
       p.status AS program_status, p.opens_at AS opens_at, p.deadline_at AS deadline_at, p.timezone AS timezone,
       p.grace_minutes AS grace_minutes, ap.extended_deadline_at AS extended_deadline_at
FROM application ap JOIN organisation o ON o.id = ap.organisation JOIN program p ON p.id = ap.program
WHERE ap.organisation IN ({cities})
"""


async def list_applications_for_cities(city_ids: list[int]) -> list[ApplicationRow]:
    """Applications of these cities, open drafts first, then by deadline."""
    if not city_ids:
        return []
    sql = CITY_LIST_SQL.format(cities=placeholders(city_ids))
    rows = [ApplicationRow.of(row) for row in await Application.raw(sql, *[int(c) for c in city_ids])]
    rows.sort(key=lambda r: (r.status != "draft", r.deadline_at, r.id))
    return rows


async def find_application_id(program_id: int, organisation_id: int) -> int | None:
    """The city's live application to the program: any but a withdrawn one (after a withdrawal the city may
    start again; the unique index covers only live applications)."""
    row = await Application.select(Application.id).where(
        (Application.program == program_id) & (Application.organisation == organisation_id)
        & (Application.status != "withdrawn")).first()
    application_id: int | None = row["id"] if row else None
    return application_id


async def list_files(application_id: int) -> list[ApplicationFileRecord]:
    rows = await ApplicationFile.select().where(
        ApplicationFile.application == application_id).order_by(ApplicationFile.id)
    return [ApplicationFileRecord.of(row) for row in rows]


async def get_file(application_id: int, file_id: int) -> ApplicationFileRecord | None:
    """A file of this application (never another's, whatever id the client sends)."""
    row = await ApplicationFile.select().where(
        (ApplicationFile.id == file_id) & (ApplicationFile.application == application_id)).first()
    return ApplicationFileRecord.of(row) if row else None


async def list_cities(city_ids: list[int]) -> list[City]:
    if not city_ids:
        return []
    rows = await Organisation.select(Organisation.id, Organisation.name, Organisation.state).where(
        Organisation.id.is_in(city_ids)).order_by(Organisation.name)
    return [City(**row) for row in rows]


async def list_present(application_id: int, since: datetime, exclude_user: int | None = None) -> list[Presence]:
    """Who has had the application open since `since` (name, step, last_seen), first arrival first."""
    query = ApplicationPresence.select(
        ApplicationPresence.user.as_alias("user_id"), ApplicationPresence.user._.name.as_alias("name"),
        ApplicationPresence.step, ApplicationPresence.last_seen,
    ).where((ApplicationPresence.application == application_id) & (ApplicationPresence.last_seen > since))
    if exclude_user is not None:
        query = query.where(ApplicationPresence.user != exclude_user)
    return [Presence(**row) for row in await query.order_by(ApplicationPresence.id)]


APPLICATION_PEOPLE_SQL = """
SELECT u.email AS email, u.name AS name FROM membership m JOIN portal_user u ON u.id = m."user"
WHERE m.organisation = {} AND m.role IN ('owner', 'member') AND u.is_active = {}
UNION
SELECT u.email, u.name FROM application ap JOIN portal_user u ON u.id = ap.created_by WHERE ap.id = {} AND u.is_active = {}
UNION
SELECT u.email, u.name FROM application_member am JOIN portal_user u ON u.id = am."user"
WHERE am.application = {} AND u.is_active = {}
ORDER BY 1
"""


async def list_application_people(application_id: int, organisation_id: int) -> list[Recipient]:
    """Everyone who works on the application: the applying city's owners and members, and the application's
    team (its owner and every editor and viewer, who may come from elsewhere); email and name, once each."""
    rows = await Application.raw(APPLICATION_PEOPLE_SQL, organisation_id, True, application_id, True,
                                 application_id, True)
    return [Recipient(**row) for row in rows]


async def list_program_drafts(program_id: int) -> list[DraftRow]:
    """The program's drafts (for staff: city, last saved, any extension), by city."""
    rows = await Application.select(
        Application.id, Application.updated_at, Application.extended_deadline_at, Application.status_reason,
        Application.organisation._.name.as_alias("city_name"),
    ).where((Application.program == program_id) & (Application.status == "draft")).order_by(
        Application.organisation._.name)
    return [DraftRow(**row) for row in rows]


async def list_program_withdrawn(program_id: int) -> list[WithdrawnRow]:
    """The program's withdrawn applications (for staff, who may restore them: city, when, the reason), by city."""
    rows = await Application.select(
        Application.id, Application.updated_at, Application.status_reason, Application.receipt_number,
        Application.organisation._.name.as_alias("city_name"),
    ).where((Application.program == program_id) & (Application.status == "withdrawn")).order_by(
        Application.organisation._.name, Application.id)
    return [WithdrawnRow(**row) for row in rows]


STATUS_HISTORY_ACTIONS = ("application.submitted", "application.reopened", "application.withdrawn",
                          "application.restored", "application.deadline_extended", "application.reminder_sent")


async def list_status_history(application_id: int) -> list[StatusEvent]:
    """The application's submissions, reopenings, withdrawals, extensions and reminders, oldest first, from
    the audit trail (where each submission's receipt is kept)."""
    rows = await AuditEvent.select(AuditEvent.at, AuditEvent.action, AuditEvent.detail).where(
        (AuditEvent.object_type == "application") & (AuditEvent.object_id == application_id)
        & AuditEvent.action.is_in(list(STATUS_HISTORY_ACTIONS))
    ).order_by(AuditEvent.id).output(load_json=True)
    return [StatusEvent(**row) for row in rows]


# On every application page (inside get_application_for): plain SQL, one trip.
POSITION_SQL = """
SELECT m."user" AS user_id, m.role, m.is_signer FROM application_member m
WHERE m.application = {} AND (m."user" = {} OR m.is_signer = {})
"""


async def team_position(application_id: int, user_id: int) -> tuple[str | None, int | None]:
    """(the user's role on the team, editor | viewer | None; the id of the named signer, or None when the
    owner signs by default). The owner is not looked up here: it is `application.created_by`."""
    rows = await TeamMember.raw(POSITION_SQL, application_id, user_id, True)
    role: str | None = next((r["role"] for r in rows if r["user_id"] == user_id), None)
    signer: int | None = next((r["user_id"] for r in rows if r["is_signer"]), None)
    return role, signer


async def user_name(user_id: int) -> str:
    row = await User.select(User.name).where(User.id == user_id).first()
    name: str = row["name"] if row else ""
    return name
