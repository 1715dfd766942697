"""The migrations build every column the tables declare, on both engines (a column added to a table class but
not to a migration fails here, not in production)."""

import pytest

from portal.piccolo_app import ALL_TABLES


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t._meta.tablename)
async def test_every_declared_column_exists(portal, table):
    columns = table._meta.columns
    # Selecting every declared column by name fails if the migrated table lacks one.
    rows = await table.select(*columns).limit(1)
    assert rows == [] or set(rows[0]) == {c._meta.name for c in columns}
