"""The migrations build exactly the schema the models describe, on this database kind."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from sharewell.db import Base
from sharewell.models import import_all_models


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    import_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], (
        "the models and migrations differ; add a migration: "
        "alembic revision --autogenerate (see docs/dev/database.md)"
    )


def test_every_table_is_created(engine: Engine) -> None:
    import_all_models()
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_upgrading_an_up_to_date_database_is_harmless(engine: Engine) -> None:
    from sharewell.db import upgrade

    upgrade(engine)
    upgrade(engine)
