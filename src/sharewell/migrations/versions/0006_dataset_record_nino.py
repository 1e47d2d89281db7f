"""dataset records: nino column

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nino", sa.String(length=9), nullable=True))
        batch_op.create_index(
            "ix_dataset_records_dataset_id_nino", ["dataset_id", "nino"], unique=False
        )
    # Rows imported before this column existed: copy the NINO from the row's own data (every
    # dataset so far names its NINO field `nino`; later imports fill the column themselves).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE dataset_records SET nino = (data::jsonb) ->> 'nino'")
    else:
        op.execute("UPDATE dataset_records SET nino = json_extract(data, '$.nino')")


def downgrade() -> None:

    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_records_dataset_id_nino")
        batch_op.drop_column("nino")
