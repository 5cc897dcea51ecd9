"""Which schema revision a database is at (Alembic's own table), read without Alembic."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError


def schema_revisions(conn: Connection) -> set[str] | None:
    """The revisions ``alembic_version`` holds; None when the table is not there (yet)."""
    try:
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return None
