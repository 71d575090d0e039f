"""The reports' background job (run by `flask worker`): keeping the hourly rollups right."""
from __future__ import annotations

from console.outbox.services import register_job
from console.reports import rollups

ROLLUP = "reports.rollup"


@register_job(ROLLUP, "Roll up report figures", every_seconds=60)
def rollup(payload: dict, progress) -> dict:
    """Every minute: the hours touched since the last run counted again, the watermark moved (rollups.refresh);
    a first run counts every hour."""
    return rollups.refresh(rebuild=bool(payload.get("rebuild"))).as_dict()
