"""Access table of telephony: the dialer, calling settings, recordings and Twilio's webhooks (merged into
test_access.py). Webhooks are "webhook": 403 to any request without a valid Twilio signature."""
from console.auth.models import Role
from console.extensions import db
from console.handoffs.models import Handoff
from console.telephony import rules
from console.telephony.models import PhoneCall, Recording

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
WEBHOOK = "webhook"

ROUTES = {
    "telephony.dialer": ("GET", "/calls/{call_id}/dialer", {T, A}),
    "telephony.progress": ("GET", "/calls/{call_id}/dialer/progress", {T, A}),
    "telephony.dial": ("POST", "/calls/{call_id}/dial", {T, A}),
    "telephony.hang_up": ("POST", "/calls/{call_id}/hang-up", {T, A}),
    "telephony.start_recording": ("POST", "/calls/{call_id}/recording", {T, A}),
    "telephony.token": ("GET", "/telephony/token", {T, A}),
    "telephony.settings": ("GET", "/telephony/settings", {T, A}),
    "telephony.save_settings": ("POST", "/telephony/settings", {T, A}),
    "telephony.campaign_settings": ("GET", "/telephony/campaigns/{campaign_id}", {M, A}),
    "telephony.save_campaign_settings": ("POST", "/telephony/campaigns/{campaign_id}", {M, A}),
    # The agent who called the lead, the sales member it was handed to, marketing (and admins).
    "telephony.play_recording": ("GET", "/recordings/{recording_id}", {T, S, M, A}),
    "telephony.voice": ("POST", "/twilio/voice", WEBHOOK),
    "telephony.consent_notice": ("POST", "/twilio/notice", WEBHOOK),
    "telephony.status_callback": ("POST", "/twilio/status", WEBHOOK),
    "telephony.recording_callback": ("POST", "/twilio/recording", WEBHOOK),
}

# Placing, ending and recording a call belong to the agent holding it: an admin may look, not act.
OWNER_ONLY = {"telephony.dial", "telephony.hang_up", "telephony.start_recording"}

POST_BODIES = {
    "telephony.dial": {"outcome": "answer"},
    "telephony.save_settings": {"calling_mode": "browser", "phone": ""},
    "telephony.save_campaign_settings": {"recording_mode": "on_demand"},
    "telephony.voice": {"CallSid": "CAforged", "phone_call": "1", "From": "client:agent-1"},
    "telephony.consent_notice": {"CallSid": "CAforged"},
    "telephony.status_callback": {"CallSid": "CAforged", "CallStatus": "completed"},
    "telephony.recording_callback": {"CallSid": "CAforged", "RecordingSid": "REforged", "RecordingStatus": "completed"},
}


def extend_world(world, users):
    """A finished call to the qualified lead, with a recording: the agent called it, sales was handed it."""
    handoff = db.session.get(Handoff, world["handoff_id"])
    phone_call = PhoneCall(call_id=handoff.call_id, placed_by_id=users[T].id, mode="simulated",
                           status=rules.COMPLETED, to_number=handoff.lead.phone, duration_seconds=42,
                           recording_mode=rules.RecordingMode.ALWAYS, twilio_sid="SIMCAworld")
    recording = Recording(phone_call=phone_call, recording_sid="SIMREworld", status=rules.RecordingStatus.COMPLETED,
                          duration_seconds=40)
    db.session.add_all([phone_call, recording])
    db.session.commit()
    world["recording_id"] = recording.id
