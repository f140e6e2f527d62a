"""The schema the migrations build is the one the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_models_and_migrations_agree(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
