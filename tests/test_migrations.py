"""Alembic: one head, and ``upgrade head`` on an empty database gives the models' schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import Base
from tests.conftest import new_database_url
from tests.paths import REPO_ROOT


def test_single_head() -> None:
    config = Config(str(REPO_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"expected one Alembic head, found {heads}"


def test_upgrade_head_matches_models(tmp_path: Path) -> None:
    app = create_app("testing", {"DATABASE_URL": new_database_url(tmp_path, "migcheck")})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        # and the way back works, so a bad release can be rolled back
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
