"""agreement status events remember their ledger entry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_status_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement_status_events", schema=None) as batch_op:
        batch_op.drop_column("ledger_index")
