"""Forms of the dialer, the agent's calling settings and a campaign's telephony settings."""
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from console.forms import ConsoleForm
from console.telephony.models import CallingMode
from console.telephony.rules import RecordingMode, SimulatedOutcome


class DialForm(ConsoleForm):
    # Simulated line only: how the pretend callee responds (ignored by real lines).
    outcome = SelectField("The simulated lead", choices=[SelectChoice(code, label) for code, label
                                                         in SimulatedOutcome.LABELS.items()],
                          default=SimulatedOutcome.ANSWER, validators=[Optional()])


class HangUpForm(ConsoleForm):
    reason = HiddenField(validators=[Optional(), Length(max=300)])  # set by the browser when its call failed


class RecordingForm(ConsoleForm):
    consent_confirmed = BooleanField("I read the notice and the prospect agreed to be recorded")


class AgentTelephonyForm(ConsoleForm):
    calling_mode = RadioField("How you call", choices=[
        SelectChoice(CallingMode.BROWSER, "In the browser (headset on this computer)"),
        SelectChoice(CallingMode.BRIDGE, "On my phone: the console rings it, then dials the lead"),
    ], validators=[DataRequired("Choose how you call.")])
    phone = StringField("My phone number", validators=[Optional(), Length(max=40)])


class CampaignTelephonyForm(ConsoleForm):
    recording_mode = RadioField("Record calls", choices=[SelectChoice(code, label) for code, label
                                                         in RecordingMode.LABELS.items()],
                                validators=[DataRequired("Choose when calls are recorded.")])
    machine_detection = BooleanField("Detect answering machines (tells the agent who picked up)")
