"""The imports' background job (run by `flask worker`): reading a list into its campaign."""
from __future__ import annotations

from console.imports import services
from console.outbox.services import register_job


@register_job(services.LEAD_IMPORT, "Import a list of leads")
def import_list(payload: dict, progress) -> dict:
    """One list's import, resumed where it stopped if an earlier run was interrupted (a worker died)."""
    return services.run(int(payload["lead_list_id"]), progress)
