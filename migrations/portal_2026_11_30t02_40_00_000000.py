"""Review panels (issue 4): panels and members, declared conflicts, preferences, review revisions and the panel
meeting's outcomes; rubric scales (step, direction, thresholds); review versions, applicant comments and
recommendations.

Raw DDL, the same on SQLite and PostgreSQL. Every existing program with reviewers gets a panel holding them, so
earlier assignments carry on.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "review panels, conflicts, preferences, revisions, meeting outcomes, rubric scales"

COLUMNS = [
    ("criterion", "scale_step", "REAL NOT NULL DEFAULT 1.0"),
    ("criterion", "lower_is_better", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("criterion", "threshold", "REAL NULL DEFAULT NULL"),
    ("review_assignment", "applicant_comment", "TEXT NOT NULL DEFAULT ''"),
    ("review_assignment", "recommendation", "VARCHAR(16) NOT NULL DEFAULT ''"),
    ("review_assignment", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("review_assignment", "revision", "INTEGER NOT NULL DEFAULT 0"),
]

USER = 'portal_user'


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE review_panel ("
        f"id {serial}, "
        "program INTEGER NOT NULL REFERENCES program (id) ON DELETE CASCADE, "
        "name VARCHAR(200) NOT NULL, "
        "due_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "blind BOOLEAN NOT NULL DEFAULT FALSE, "
        "reviews_per_application INTEGER NOT NULL DEFAULT 3, "
        "status VARCHAR(16) NOT NULL DEFAULT 'open', "
        "closed_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "overall_threshold REAL NULL DEFAULT NULL, "
        "ask_recommendation BOOLEAN NOT NULL DEFAULT FALSE, "
        "proposal JSON NOT NULL DEFAULT '{}', "
        "published_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "not_discussed_percent INTEGER NOT NULL DEFAULT 0, "
        f"created_by INTEGER NULL REFERENCES {USER} (id) ON DELETE SET NULL, "
        "created_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX unique_review_panel_program ON review_panel (program)",
        "CREATE TABLE panel_member ("
        f"id {serial}, "
        "panel INTEGER NOT NULL REFERENCES review_panel (id) ON DELETE CASCADE, "
        f'"user" INTEGER NOT NULL REFERENCES {USER} (id) ON DELETE CASCADE, '
        "capacity INTEGER NOT NULL DEFAULT 10, "
        "expertise TEXT NOT NULL DEFAULT '', "
        "home_city VARCHAR(200) NOT NULL DEFAULT '', "
        "joined_at TIMESTAMPTZ NOT NULL)",
        'CREATE UNIQUE INDEX unique_panel_member ON panel_member (panel, "user")',
        'CREATE INDEX panel_member_user ON panel_member ("user")',
        "CREATE TABLE review_conflict ("
        f"id {serial}, "
        "application INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE, "
        f"reviewer INTEGER NOT NULL REFERENCES {USER} (id) ON DELETE CASCADE, "
        "source VARCHAR(16) NOT NULL, "
        "reason TEXT NOT NULL, "
        f"declared_by INTEGER NULL REFERENCES {USER} (id) ON DELETE SET NULL, "
        "declared_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX unique_review_conflict ON review_conflict (application, reviewer)",
        "CREATE INDEX review_conflict_reviewer ON review_conflict (reviewer)",
        "CREATE TABLE review_preference ("
        f"id {serial}, "
        "application INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE, "
        f"reviewer INTEGER NOT NULL REFERENCES {USER} (id) ON DELETE CASCADE, "
        "level VARCHAR(8) NOT NULL, "
        "updated_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX unique_review_preference ON review_preference (application, reviewer)",
        "CREATE INDEX review_preference_reviewer ON review_preference (reviewer)",
        "CREATE TABLE review_revision ("
        f"id {serial}, "
        "assignment INTEGER NOT NULL REFERENCES review_assignment (id) ON DELETE CASCADE, "
        "revision INTEGER NOT NULL, "
        "scores JSON NOT NULL, "
        "comment TEXT NOT NULL DEFAULT '', "
        "applicant_comment TEXT NOT NULL DEFAULT '', "
        "recommendation VARCHAR(16) NOT NULL DEFAULT '', "
        "weighted_score REAL NULL DEFAULT NULL, "
        "submitted_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX unique_review_revision ON review_revision (assignment, revision)",
        "CREATE TABLE panel_outcome ("
        f"id {serial}, "
        "panel INTEGER NOT NULL REFERENCES review_panel (id) ON DELETE CASCADE, "
        "application INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE, "
        "discussion_position INTEGER NULL DEFAULT NULL, "
        "status VARCHAR(16) NOT NULL DEFAULT 'pending', "
        "consensus_score REAL NULL DEFAULT NULL, "
        "consensus_note TEXT NOT NULL DEFAULT '', "
        "minority_view TEXT NOT NULL DEFAULT '', "
        "final_rank INTEGER NULL DEFAULT NULL, "
        f"updated_by INTEGER NULL REFERENCES {USER} (id) ON DELETE SET NULL, "
        "updated_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE UNIQUE INDEX unique_panel_outcome ON panel_outcome (panel, application)",
        "CREATE INDEX panel_outcome_application ON panel_outcome (application)",
    ]


# Programs that already have reviewers get a panel holding them (due date: none; k: 3; not blind).
BACKFILL = [
    "INSERT INTO review_panel (program, name, created_at) "
    "SELECT DISTINCT pr.program, 'Review panel', CURRENT_TIMESTAMP FROM program_role pr WHERE pr.role = 'reviewer'",
    'INSERT INTO panel_member (panel, "user", joined_at) '
    'SELECT p.id, pr."user", pr.created_at FROM program_role pr JOIN review_panel p ON p.program = pr.program '
    "WHERE pr.role = 'reviewer'",
    # Submitted reviews count as the first submission.
    "UPDATE review_assignment SET revision = 1, version = 1 WHERE status = 'submitted'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        serial = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        for table, column, ddl in COLUMNS:
            await engine.run_ddl(f'ALTER TABLE {table} ADD COLUMN "{column}" {ddl}')
        for statement in tables(serial) + BACKFILL:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        for table in ("panel_outcome", "review_revision", "review_preference", "review_conflict", "panel_member",
                      "review_panel"):
            await engine.run_ddl(f"DROP TABLE IF EXISTS {table}")
        for table, column, _ddl in reversed(COLUMNS):
            await engine.run_ddl(f'ALTER TABLE {table} DROP COLUMN "{column}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
