"""Hand-offs keep the scoring model that made their score.

Each hand-off records the version of the scoring model its score came from, and
every criterion of that model with its label, the answer given and its points, so
that the packet explains a hand-off with the model it was scored with, whatever
the model becomes. Hand-offs made before were all scored by version 1 (the model
the console shipped with): they are filled in from it.

Revision ID: 0007
Revises: 0006
"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Version 1 of the scoring model, as it was when this migration was written (never import app code here).
VERSION_1 = (
    ("budget", "Budget", {"confirmed": ("Budget confirmed", 25), "planned": ("Budget planned for next cycle", 15),
                          "unknown": ("Budget not known yet", 0), "none": ("No budget", -10)}),
    ("authority", "Authority", {"decision_maker": ("Speaking to the decision maker", 25),
                                "influencer": ("Speaking to an influencer", 10),
                                "no_authority": ("No buying authority", 0)}),
    ("need", "Need", {"urgent": ("Urgent, stated need", 30), "some": ("Some need", 10), "none": ("No need", -20)}),
    ("timeline", "Timeline", {"under_3_months": ("Buying within 3 months", 20),
                              "3_to_6_months": ("Buying in 3–6 months", 10),
                              "6_to_12_months": ("Buying in 6–12 months", 5), "no_timeline": ("No timeline", 0)}),
)


def _explained(answers: dict) -> dict:
    explained = {}
    for key, label, options in VERSION_1:
        given = answers.get(key) or {}
        value = given.get("value")
        answer, points = options.get(value, (None, 0)) if value else (None, 0)
        explained[key] = {"label": label, "value": value if answer else None, "answer": answer, "points": points,
                          "detail": given.get("detail") or ""}
    return explained


def upgrade():
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_model_version', sa.Integer(), nullable=True))
    handoffs = sa.table('handoffs', sa.column('id', sa.Integer), sa.column('answers', sa.JSON),
                        sa.column('score_model_version', sa.Integer))
    connection = op.get_bind()
    for row in connection.execute(sa.select(handoffs.c.id, handoffs.c.answers)).all():
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers or "{}")
        connection.execute(handoffs.update().where(handoffs.c.id == row.id)
                           .values(answers=_explained(answers), score_model_version=1))


def downgrade():
    handoffs = sa.table('handoffs', sa.column('id', sa.Integer), sa.column('answers', sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(handoffs.c.id, handoffs.c.answers)).all():
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers or "{}")
        connection.execute(handoffs.update().where(handoffs.c.id == row.id).values(answers={
            key: {"value": line["value"], "detail": line.get("detail", "")}
            for key, line in answers.items() if line.get("value")}))
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('score_model_version')
