"""The hand-offs' background jobs (run by `flask worker`)."""
from __future__ import annotations

from console.handoffs import sla_services
from console.outbox.services import register_job

SLA_CHECK = "handoffs.sla_check"


@register_job(SLA_CHECK, "Check hand-off SLA clocks", every_seconds=60)
def sla_check(payload: dict, progress) -> dict:
    """Every minute: each clock that ran out is recorded as a breach once and escalated (sla_services)."""
    return sla_services.check_breaches()
