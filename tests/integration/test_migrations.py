"""The Alembic migrations build exactly the schema the models describe, and can be undone."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from console import MIGRATIONS_DIR, create_app
from console.extensions import db
from tests.conftest import recreate_postgres_database


@pytest.fixture
def migration_database_url(database_url, tmp_path):
    """A second, empty database beside the test one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"{url.database}_migrations"
    recreate_postgres_database(url, name)
    yield url.set(database=name).render_as_string(hide_password=False)


def test_upgrade_creates_the_models_schema_and_downgrade_removes_it(migration_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": migration_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        assert {"users", "leads", "calls", "handoffs", "audit_events"} <= set(inspect(db.engine).get_table_names())

        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_the_lead_searchs_expression_indexes_are_built(migration_database_url):
    """SQLite cannot reflect an index on an expression, so the comparison above skips them there: look them up."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": migration_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        catalogue = "SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite" \
            else "SELECT indexname FROM pg_indexes"
        with db.engine.connect() as connection:
            names = set(connection.scalars(text(catalogue)))
        assert {"ix_leads_last_name_lower", "ix_accounts_name_lower"} <= names
        db.engine.dispose()
