"""Initial schema.

Pre-release, this revision builds the tables from shared.models.metadata; before the first
release it is frozen into explicit operations so later revisions can diff against it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from shared.models import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
