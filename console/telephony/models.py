"""Telephony records: each carrier call placed for a console call, its recordings, and calling settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db
from console.telephony import rules


class CallingMode:
    """How the agent's voice reaches the line."""

    BROWSER = "browser"  # Twilio Voice JS SDK in the call screen
    BRIDGE = "bridge"  # Twilio rings the agent's own phone, then dials the lead
    SIMULATED = "simulated"  # no carrier: the built-in simulated line
    LABELS = {BROWSER: "Browser", BRIDGE: "Your phone", SIMULATED: "Simulated line"}


class PhoneCall(db.Model):
    """One carrier call placed during a console call (a console call may be dialled more than once).

    `twilio_sid` is the leg the console starts (the agent's browser or phone); `lead_call_sid`
    is the leg Twilio dials to the lead from it. Progress arrives on either; status follows the lead's leg.
    """

    __tablename__ = "phone_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), default=rules.QUEUED)  # the lead's leg
    agent_leg_status: Mapped[str | None] = mapped_column(String(20))
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    lead_call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    to_number: Mapped[str] = mapped_column(String(20))
    caller_id: Mapped[str | None] = mapped_column(String(20))
    agent_number: Mapped[str | None] = mapped_column(String(20))  # bridge calls: the phone rung first

    # What the campaign asked for when this call was placed (settings may change later).
    recording_mode: Mapped[str] = mapped_column(String(12), default=rules.RecordingMode.NEVER)
    machine_detection: Mapped[bool] = mapped_column(default=False)
    consent_required: Mapped[bool] = mapped_column(default=False)
    consent_method: Mapped[str | None] = mapped_column(String(20))  # notice_played | agent_read
    consent_at: Mapped[datetime | None]

    answered_by: Mapped[str | None] = mapped_column(String(30))  # human, machine_start, fax, unknown...
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    initiated_at: Mapped[datetime | None]
    ringing_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    hangup_requested_at: Mapped[datetime | None]
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    # Simulated line only: how the pretend callee will respond (answer, busy, no-answer, failed...).
    simulated_outcome: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    call = relationship("Call")
    placed_by = relationship("User")
    recordings: Mapped[list[Recording]] = relationship(back_populates="phone_call", order_by="Recording.id")

    @property
    def is_active(self) -> bool:
        return not rules.is_final(self.status)

    @property
    def elapsed_seconds(self) -> int | None:
        """Talk time so far (live calls) or in all (ended ones)."""
        if self.answered_at is None:
            return None
        if self.duration_seconds is not None and not self.is_active:
            return self.duration_seconds
        return max(int(((self.ended_at or utcnow()) - self.answered_at).total_seconds()), 0)

    @property
    def consent_given(self) -> bool:
        return self.consent_at is not None

    @property
    def consent_label(self) -> str | None:
        return rules.ConsentMethod.LABELS.get(self.consent_method) if self.consent_given else None

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS.get(self.status, self.status)

    @property
    def answered_by_label(self) -> str | None:
        return rules.ANSWERED_BY_LABELS.get(self.answered_by, self.answered_by) if self.answered_by else None

    @property
    def mode_label(self) -> str:
        return CallingMode.LABELS.get(self.mode, self.mode)

    @property
    def is_recording(self) -> bool:
        return any(recording.status == rules.RecordingStatus.IN_PROGRESS for recording in self.recordings)


class Recording(db.Model):
    """A recording of a phone call, as Twilio (or the simulated line) reported it."""

    __tablename__ = "call_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_call_id: Mapped[int] = mapped_column(ForeignKey("phone_calls.id"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=rules.RecordingStatus.IN_PROGRESS)
    media_url: Mapped[str | None] = mapped_column(String(400))
    duration_seconds: Mapped[int | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: recorded by campaign rule
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    phone_call: Mapped[PhoneCall] = relationship(back_populates="recordings")

    @property
    def playable(self) -> bool:
        return self.status == rules.RecordingStatus.COMPLETED


class CampaignTelephony(db.Model):
    """A campaign's calling settings kept by telephony (absent: never record, no machine detection)."""

    __tablename__ = "campaign_telephony"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    recording_mode: Mapped[str] = mapped_column(String(12), default=rules.RecordingMode.NEVER)
    machine_detection: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign")


class AgentTelephony(db.Model):
    """How one agent calls: in the browser, or bridged through their own phone."""

    __tablename__ = "agent_telephony"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    calling_mode: Mapped[str] = mapped_column(String(12), default=CallingMode.BROWSER)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; rung first in bridge mode
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
