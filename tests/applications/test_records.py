"""The records of applications/records.py and team/records.py are built from their tables' rows as Piccolo and raw
SQL hand them back: a column added, renamed or dropped without the record following fails here, on both engines."""

from __future__ import annotations

from datetime import datetime

from portal.applications import queries
from portal.applications.access import load_application
from portal.applications.records import ApplicationRecord
from portal.applications.tables import Application
from portal.applications.team import queries as team_queries
from tests.factories.applications import add_file
from tests.factories.teams import build_team


async def test_application_rows_make_records(world):
    application_id = world["application_a"]
    loaded = await load_application(application_id)
    assert loaded is not None
    assert (loaded.id, loaded.program, loaded.organisation, loaded.status, loaded.organisation_name) == (
        application_id, world["program"], world["city_a"], "submitted", "Springfield")
    assert isinstance(loaded.answers, dict) and isinstance(loaded.created_at, datetime)
    # `SELECT *` through raw SQL: SQLite hands back timestamps and JSON as text, PostgreSQL as such
    raw = await Application.raw("SELECT * FROM application WHERE id = {}", application_id)
    record = ApplicationRecord.of(raw[0])
    assert record == ApplicationRecord.of(await Application.select().where(Application.id == application_id).first())
    assert (record.answers, record.created_at) == (loaded.answers, loaded.created_at)


async def test_list_rows_and_files_make_records(world):
    application_id = world["application_a"]
    rows = await queries.list_applications_for_cities([world["city_a"]])
    assert [(r.id, r.city_name, r.program_id, r.status) for r in rows] == [
        (application_id, "Springfield", world["program"], "submitted")]
    assert isinstance(rows[0].deadline_at, datetime) and isinstance(rows[0].updated_at, datetime)
    assert [r.id for r in await team_queries.list_team_applications(world["applicant"])] == [application_id]
    file_id = await add_file(application_id, world["applicant"])
    files = await queries.list_files(application_id)
    assert [(f.id, f.field_key, f.original_name, f.uploaded_by) for f in files] == [
        (file_id, "budget_file", "budget.pdf", world["applicant"])]
    assert await queries.get_file(application_id, file_id) == files[0]
    assert await queries.get_file(world["application_b"], file_id) is None


async def test_team_rows_make_records(world):
    team = await build_team(world)
    application_id = world["application_a"]
    members = await team_queries.list_members(application_id)
    assert sorted((m.user_id, m.role, m.is_signer) for m in members) == sorted([
        (team["editor"], "editor", False), (team["viewer"], "viewer", False), (team["signer"], "editor", True)])
    member = await team_queries.get_member(application_id, team["signer"])
    assert member is not None and (member.application, member.user, member.is_signer) == (
        application_id, team["signer"], True)
    owner = await team_queries.get_user(world["applicant"])
    assert owner is not None and owner.email == "applicant@springfield.gov"
    assert await queries.team_position(application_id, team["editor"]) == ("editor", team["signer"])
