"""Piccolo's configuration module (PICCOLO_CONF=portal.piccolo_conf).

DB is the engine in use, `portal.db.current_engine()`: the one for the settings in the environment until
`portal.db.use_engine` replaces it when the app starts with other settings (the tests run one process against
SQLite and PostgreSQL in turn). `portal.db` owns it, so that this module imports db and not the other way round.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry

from portal import db

APP_REGISTRY = AppRegistry(apps=["portal.piccolo_app"])


def __getattr__(name: str) -> Any:
    """`DB`, read by Piccolo (`engine_finder`) each time it looks for the engine."""
    if name == "DB":
        return db.current_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
