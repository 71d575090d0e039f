"""The API's background job (run by `flask worker`): forgetting what it keeps for a while."""
from __future__ import annotations

from console.api import services
from console.outbox.services import register_job

HOUSEKEEPING = "api.housekeeping"


@register_job(HOUSEKEEPING, "Forget expired API idempotency keys and rate windows", every_seconds=3600)
def housekeeping(payload: dict, progress) -> dict:
    """Every hour: idempotency keys older than 24 hours and rate-limit windows long past are deleted."""
    return services.forget_old()
