"""A disposition sent twice at once (two tabs, a double Ctrl+Enter) is applied once, on SQLite and PostgreSQL."""
import threading

from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.auth.models import User
from console.calls import services
from console.calls.models import Call
from console.extensions import db
from console.handoffs.models import Handoff
from console.leads.models import Lead
from console.queue.services import claim_next_lead

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def test_two_simultaneous_dispositions_of_one_call_apply_once(app, users, campaign, make_lead):
    agent = users["teleprospector"]
    make_lead(campaign)
    call = claim_next_lead(agent)
    for key, value in STRONG.items():
        services.save_answer(call, agent, key, value)
    call_id, agent_id, lead_id = call.id, agent.id, call.lead_id
    db.session.remove()

    barrier = threading.Barrier(4)
    outcomes = []

    def disposition():
        with app.app_context():
            mine = db.session.get(Call, call_id)
            me = db.session.get(User, agent_id)
            mine.lead  # loaded before the race, as a request would have
            barrier.wait()
            try:
                services.record_disposition(mine, me, "qualified")
                outcomes.append("done")
            except services.CallError as error:
                db.session.rollback()
                outcomes.append(str(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=disposition) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["This call is already closed."] * 3 + ["done"]
    assert db.session.scalar(select(func.count(Handoff.id))) == 1
    assert db.session.get(Lead, lead_id).attempts == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "call.dispositioned")) == 1
