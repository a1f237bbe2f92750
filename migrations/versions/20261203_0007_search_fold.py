"""search_fold: Postgres folds a searched column as the app folds the search term

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.core.text import postgres_search_fold


revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite runs the app's own fold, registered on every connection (app/core/db.py).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(postgres_search_fold())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
