"""The search-keys migration fills keys for the people already in the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from avestavard import create_app
from avestavard.extensions import db
from avestavard.services.search import search
from tests.conftest import new_database_url


def test_migration_backfills_keys_for_existing_rows(tmp_path: Path) -> None:
    app = create_app("testing", {"DATABASE_URL": new_database_url(tmp_path, "backfill")})
    with app.app_context():
        upgrade(revision="0010_security")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO hosts (name, phone, area, languages, preferred_language,"
                    " interests_raw, past, present, future, thoughts, capacity, status,"
                    " created_at, updated_at) VALUES ('Åsa Öberg', '+46701184435', 'Krylbo',"
                    " '[]', 'sv', '[\"foto\"]', '', '', '', '', 1, 'active',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        names = [hit.record.name for hit in search(db.session, "oberg")]
        by_phone = [hit.record.name for hit in search(db.session, "070-118 44 35")]
        by_interest = [hit.record.name for hit in search(db.session, "fotografering")]
        db.session.remove()
        db.engine.dispose()
    assert names == by_phone == by_interest == ["Åsa Öberg"]
