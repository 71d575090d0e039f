"""The leads' background jobs (run by `flask worker`)."""
from __future__ import annotations

from console.leads import services
from console.outbox.services import register_job

QUEUE_REBUILD = "job.queue_rebuild"


@register_job(QUEUE_REBUILD, "Rebuild the queue order of every lead")
def rebuild_queue(payload: dict, progress) -> dict:
    """`flask queue rebuild` as a job: every lead's queue columns recomputed, in batches, with progress."""
    changed = services.rebuild_queue_columns(
        batch_size=int(payload.get("batch_size", 2000)),
        progress=lambda done, total: progress(done, total, f"{done:,} of {total:,} leads"))
    return {"changed": changed}
