"""Piccolo's configuration module (PICCOLO_CONF=portal.piccolo_conf).

DB is the engine for the settings in the environment; `portal.db.use_engine` replaces it when the app
starts with other settings (the tests run one process against SQLite and PostgreSQL in turn).
"""

from piccolo.conf.apps import AppRegistry

from portal.db import engine_for
from portal.settings import load_settings

DB = engine_for(load_settings().database)

APP_REGISTRY = AppRegistry(apps=["portal.piccolo_app"])
