"""The call guides' background job (run by `flask worker`): the published guides checked against a lead definition
that just took effect."""
from __future__ import annotations

from console.guides import services
from console.outbox.services import register_job
from console.scoring.services import GUIDE_CHECK_JOB


@register_job(GUIDE_CHECK_JOB, "Check the published call guides against the lead definition in force")
def check_guides(payload: dict, progress) -> dict:
    """A guide whose discovery steps stop asking a criterion the new definition requires is flagged to its
    editors and to the proposer and approvers of the version that made it required."""
    flagged = services.flag_guides_missing_criteria(int(payload["version_id"]))
    return {"flagged": flagged}
