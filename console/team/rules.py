"""Pure rules about the team: who may lose the admin role or their access, set-password links, one-time
passwords, and how the audit log reads (its actions in words, a compact detail, a date range in UTC).

No Flask, no database: values in, answers out.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

# How long a set-password link works after it is made (a new account's, or a reset's).
PASSWORD_LINK_LIFETIME = timedelta(hours=72)

# One-time passwords: letters and digits nobody confuses when reading them aloud or copying them by hand
# (no 0/O, 1/l/I), in groups of four; 16 characters of 55 symbols is about 92 bits.
_PASSWORD_SYMBOLS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_GROUPS, _GROUP_LENGTH = 4, 4


def one_time_password(choose: Callable[[str], str] = secrets.choice) -> str:
    """A password the console makes for a new account or a reset, shown once: "abcd-EFGH-2345-jkmn"."""
    return "-".join("".join(choose(_PASSWORD_SYMBOLS) for _ in range(_GROUP_LENGTH)) for _ in range(_PASSWORD_GROUPS))


class LinkProblem:
    """Why a set-password link does not work. The page says the same to all of them: a link that names nothing,
    one already used, one expired or replaced, and one of a deactivated account are not told apart."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ACCOUNT_INACTIVE = "account_inactive"


def link_problem(*, found: bool, used_at: datetime | None, expires_at: datetime | None, account_active: bool,
                 now: datetime) -> str | None:
    """Why this link cannot set a password now (a LinkProblem), or None when it can.

    A link works until its expiry moment (excluded); a reset or a deactivation expires the unused ones at once.
    """
    if not found:
        return LinkProblem.UNKNOWN
    if used_at is not None:
        return LinkProblem.USED
    if expires_at is None or now >= expires_at:
        return LinkProblem.EXPIRED
    if not account_active:
        return LinkProblem.ACCOUNT_INACTIVE
    return None


# ---------------------------------------------------------------- keeping an admin

def role_change_refusal(*, is_self: bool, is_admin: bool, is_active: bool, new_role_is_admin: bool,
                        other_active_admins: int) -> str | None:
    """Why this user's role may not become the new one (words for the page), or None when it may.

    The console must always keep one active admin, who alone can add users and give access back: an admin cannot
    take the role from themselves (another admin must), and the last active admin keeps it.
    """
    if not is_admin or new_role_is_admin:
        return None
    if is_self:
        return "You cannot take the admin role from yourself: another admin must do it."
    if is_active and other_active_admins == 0:
        return "This is the last active admin: make another user an admin first."
    return None


def deactivation_refusal(*, is_self: bool, is_admin: bool, is_active: bool, other_active_admins: int) -> str | None:
    """Why this user may not be deactivated (words for the page), or None when they may."""
    if not is_active:
        return "This user is already deactivated."
    if is_self:
        return "You cannot deactivate yourself: another admin must do it."
    if is_admin and other_active_admins == 0:
        return "This is the last active admin: make another user an admin first."
    return None


# ---------------------------------------------------------------- the audit log, as people read it

ACTION_WORDS = {
    "api_token.created": "made an API token",
    "api_token.revoked": "revoked an API token",
    "api.lead_pushed": "pushed a lead through the API",
    "api.leads_pushed": "pushed a batch of leads through the API",
    "api.touches_added": "added marketing touches through the API",
    "api.handoff_outcome": "posted a hand-off's outcome through the API",
    "api.do_not_call_added": "put a number on the do-not-call list through the API",
    "api.do_not_call_removed": "took a number off the do-not-call list through the API",
    "auth.login": "signed in",
    "auth.login_failed": "failed to sign in",
    "auth.login_throttled": "sign-in refused: too many failures",
    "auth.logout": "signed out",
    "user.created": "added a user",
    "user.role_changed": "changed a user's role",
    "user.deactivated": "deactivated a user",
    "user.reactivated": "reactivated a user",
    "user.password_reset": "reset a user's password",
    "user.password_set": "set their password from a link",
    "user.availability_changed": "changed a sales member's availability",
    "routing.rule_added": "added a hand-off routing rule",
    "routing.rule_changed": "changed a hand-off routing rule",
    "routing.rule_moved": "moved a hand-off routing rule",
    "routing.rule_deleted": "deleted a hand-off routing rule",
    "audit.exported": "downloaded the audit log",
    "lead.claimed": "claimed a lead",
    "lead.answer_saved": "saved an answer",
    "lead.location_set": "set a lead's location",
    "lead.referral_added": "added a referred contact",
    "lead.do_not_call": "put a number on the do-not-call list",
    "lead.hold_released": "returned a held lead to the queue",
    "lead.callback_shared": "made a reserved callback anyone's",
    "call.notes_saved": "saved call notes",
    "call.dispositioned": "set a disposition",
    "call.abandoned": "closed a call without a disposition",
    "handoff.created": "handed a lead to sales",
    "handoff.accepted": "accepted a hand-off",
    "handoff.rejected": "rejected a hand-off",
    "handoff.reassigned": "reassigned a hand-off",
    "sla.policy_saved": "saved a hand-off SLA",
    "sla.policy_removed": "sent a campaign back to the default hand-off SLA",
    "user.sales_team_changed": "changed a sales member's team",
    "handoff.rerouted": "routed a rejected hand-off to another sales member",
    "handoff.first_contact": "recorded a hand-off's first contact",
    "handoff.meeting": "recorded a hand-off's meeting held",
    "handoff.opportunity": "recorded a hand-off's opportunity",
    "handoff.won": "recorded a hand-off's deal won",
    "handoff.lost": "recorded a hand-off's deal lost",
    "handoff.rating": "rated a hand-off's lead quality",
    "campaign.updated": "changed campaign settings",
    "campaign.dispositions_changed": "changed a campaign's dispositions",
    "guide.created": "created a call guide",
    "guide.version_added": "added a call guide version",
    "guide.draft_saved": "saved a call guide draft",
    "guide.published": "published a call guide",
    "guide.reverted": "reverted a call guide",
    "telephony.agent_settings_saved": "saved calling settings",
    "telephony.campaign_settings_saved": "saved a campaign's telephony",
    "telephony.dial": "dialled",
    "telephony.dial_refused": "dial refused",
    "telephony.dial_failed": "dial failed",
    "telephony.hang_up": "hung up",
    "telephony.consent_given": "recording consent given",
    "telephony.recording_started": "started a recording",
    "telephony.recording_completed": "recording completed",
    "telephony.recording_played": "played a recording",
    "telephony.recording_deleted_without_consent": "recording deleted: no consent",
    "telephony.recording_delete_failed": "recording could not be deleted",
    "outbox.job_started": "started a job",
    "outbox.endpoint_saved": "saved a CRM endpoint",
    "outbox.endpoint_tested": "tested a CRM endpoint",
    "outbox.retried": "retried an outbox row",
    "outbox.discarded": "discarded an outbox row",
    "alignment.meeting_created": "planned an alignment meeting",
    "alignment.decision_recorded": "recorded a decision at an alignment meeting",
    "alignment.decision_done": "marked an alignment meeting's decision done",
    "alignment.agenda_sent": "sent an alignment meeting's agenda",
    "definition.drafted": "drafted a change to the lead definition",
    "definition.proposed": "proposed a change to the lead definition",
    "definition.revised": "revised a proposed lead definition",
    "definition.rebased": "rebased a proposed lead definition",
    "definition.voted": "voted on a proposed lead definition",
    "definition.rejected": "rejected a proposed lead definition",
    "definition.activated": "put a lead definition in force",
    "definition.stale": "a proposed lead definition went stale",
    "definition.approvals_set": "set the approvals a lead definition change needs",
}


def action_words(action: str) -> str | None:
    """What an action means in words, when the console knows it (another area's new action shows as its code)."""
    return ACTION_WORDS.get(action)


DETAIL_LIMIT = 240


def compact_detail(detail: dict | None, limit: int = DETAIL_LIMIT) -> str:
    """An audit row's detail on one line: "disposition: busy · lead_id: 12", nested values as compact JSON,
    cut at `limit` characters with an ellipsis. Plain text: the page escapes it."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        elif value is None:
            value = "—"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"{key}: {value}")
    text = " · ".join(parts)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def utc_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The moments (naive UTC) a date range covers: from the start of `since` to the end of `until`, both
    days included; a range given backwards is read the right way round."""
    if since and until and until < since:
        since, until = until, since
    start = datetime.combine(since, time.min) if since else None
    end = datetime.combine(until, time.min) + timedelta(days=1) if until else None
    return start, end
