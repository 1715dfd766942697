"""Two-factor sign-in (issue 10, security finding 5): TOTP factors, recovery codes, passkeys, the pending second
step of a sign-in, and failed second-step attempts.

Raw DDL, the same on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "two-factor sign-in: TOTP, recovery codes, passkeys"

USER = "\"user\" INTEGER NOT NULL REFERENCES portal_user (id) ON DELETE CASCADE"


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE totp_factor ("
        f"id {serial}, {USER}, "
        "secret VARCHAR(64) NOT NULL, "
        "confirmed_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "last_used_step BIGINT NOT NULL DEFAULT 0, "
        "created_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX totp_factor_user ON totp_factor (\"user\")",
        "CREATE TABLE recovery_code ("
        f"id {serial}, {USER}, "
        "code_hash VARCHAR(64) NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, "
        "used_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE INDEX recovery_code_user ON recovery_code (\"user\")",
        "CREATE TABLE passkey ("
        f"id {serial}, {USER}, "
        "credential_id VARCHAR(1400) NOT NULL UNIQUE, "
        "public_key TEXT NOT NULL, "
        "sign_count BIGINT NOT NULL DEFAULT 0, "
        "name VARCHAR(100) NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL, "
        "last_used_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE INDEX passkey_user ON passkey (\"user\")",
        "CREATE TABLE two_factor_challenge ("
        f"id {serial}, {USER}, "
        "token_hash VARCHAR(64) NOT NULL UNIQUE, "
        "purpose VARCHAR(16) NOT NULL, "
        "webauthn_challenge VARCHAR(200) NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL, "
        "expires_at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX two_factor_challenge_user ON two_factor_challenge (\"user\")",
        "CREATE TABLE second_factor_failure ("
        f"id {serial}, {USER}, "
        "at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX second_factor_failure_user ON second_factor_failure (\"user\")",
        "CREATE INDEX second_factor_failure_at ON second_factor_failure (at)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        serial = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        for ddl in tables(serial):
            await engine.run_ddl(ddl)

    async def drop():
        engine = engine_finder()
        for name in ("second_factor_failure", "two_factor_challenge", "passkey", "recovery_code", "totp_factor"):
            await engine.run_ddl(f"DROP TABLE IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
