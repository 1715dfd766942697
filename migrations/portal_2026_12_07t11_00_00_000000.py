"""Decision board (issue 10): what a program offers beyond money, and how it decides. `program.seats`: the
seats in a cohort (cohort_seat programs; 0 when not set), the board's line for seats; `program.max_ta_hours`:
the most hours of technical assistance one award may carry (a ta_hours program's cap, or the hours a cash
program adds to its grants; 0: none beside cash); `program.rolling_decisions`: applications are decided as they
arrive, so deciding before the deadline is expected there and not warned about.

Add columns only (SQLite cannot alter one); the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "program seats, most hours of technical assistance, rolling decisions"


def _params(default: object) -> dict:
    return {"default": default, "null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for name, column_class, default in (("seats", Integer, 0), ("max_ta_hours", Integer, 0),
                                        ("rolling_decisions", Boolean, False)):
        manager.add_column(table_class_name="Program", tablename="program", column_name=name, db_column_name=name,
                           column_class_name=column_class.__name__, column_class=column_class,
                           params=_params(default), schema=None)
    return manager
