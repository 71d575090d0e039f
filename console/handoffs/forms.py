"""Sales' answer to a hand-off."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[SelectChoice("accept", "Accept"), SelectChoice("reject", "Reject")],
                          validators=[DataRequired("Choose accept or reject.")])
    reason = TextAreaField("Reason (required to reject)", validators=[Optional(), Length(max=2000)])
