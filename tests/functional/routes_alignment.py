"""Access table of the alignment pages (merged into test_access.py): marketing runs the meetings, sales reads the
agendas, the objections and the evidence, agents see none of it."""
from datetime import date

from console.auth.models import Role
from console.reports import agenda

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "alignment.index": ("GET", "/alignment/", {S, M, A}),
    "alignment.create_meeting": ("POST", "/alignment/meetings", {M, A}),
    "alignment.meeting": ("GET", "/alignment/meetings/{meeting_id}", {S, M, A}),
    "alignment.add_decision": ("POST", "/alignment/meetings/{meeting_id}/decisions", {M, A}),
    "alignment.decision_done": ("POST", "/alignment/decisions/{decision_id}/done", {M, A}),
    "alignment.send_agenda": ("POST", "/alignment/meetings/{meeting_id}/send", {M, A}),
    "alignment.objections": ("GET", "/alignment/objections", {S, M, A}),
    "alignment.evidence": ("GET", "/alignment/evidence", {S, M, A}),
    "alignment.objections_csv": ("GET", "/alignment/objections.csv", {S, M, A}),
    "alignment.evidence_csv": ("GET", "/alignment/evidence.csv", {S, M, A}),
}


def extend_world(world, users):
    """A meeting with the marketing manager and the sales member, and one open decision."""
    meeting = agenda.create_meeting(users[M], held_on=date(2026, 3, 2), period_start=date(2026, 2, 16),
                                    period_end=date(2026, 3, 1), sales_participant_id=users[S].id,
                                    participant_ids=[users[M].id])
    decision = agenda.add_decision(users[M], meeting.id, text="Call web leads within the hour", owner_id=users[S].id,
                                   due_on=None)
    world["meeting_id"], world["decision_id"] = meeting.id, decision.id


POST_BODIES = {
    "alignment.create_meeting": {"held_on": "2026-03-16", "period_start": "2026-03-02", "period_end": "2026-03-15"},
    "alignment.add_decision": {"text": "Shorter pricing answer"},
}
