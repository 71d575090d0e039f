"""The alignment pages through the browser's requests: marketing plans a meeting, records decisions (htmx, a
refused one keeping what was typed), marks them done and sends the agenda; sales reads; the evidence page opens
the proposal editor pre-filled; bad ranges are refused beside their field."""
from datetime import date

from sqlalchemy import select, update

from console.auth.models import Role
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, Outcome
from console.outbox.models import OutboxEntry
from console.reports import agenda as meetings
from console.reports.models import AlignmentDecision, AlignmentMeeting

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
HTMX = {"HX-Request": "true"}


def _meeting(users, held_on=date(2026, 11, 19)):
    return meetings.create_meeting(users[M], held_on=held_on, period_start=date(2026, 11, 5),
                                   period_end=date(2026, 11, 18), sales_participant_id=users[S].id,
                                   participant_ids=[users[M].id])


def test_marketing_plans_a_meeting_and_lands_on_its_agenda(client, auth, users):
    auth.login(users[M].email)
    page = client.get("/alignment/").get_data(as_text=True)
    assert "Plan a meeting" in page
    response = auth.post("/alignment/meetings", {"held_on": "2026-11-19", "period_start": "2026-11-05",
                                                 "period_end": "2026-11-18", "sales_participant": users[S].id,
                                                 "participants": [users[M].id, users[A].id]})
    assert response.status_code == 303
    db.session.rollback()  # end this session's read, begun before the request wrote
    meeting = db.session.scalar(select(AlignmentMeeting))
    assert {person.id for person in meeting.participants} == {users[S].id, users[M].id, users[A].id}
    agenda = client.get(response.headers["Location"]).get_data(as_text=True)
    for heading in ("1. Headline figures", "2. Rejected hand-offs", "3. SLA breaches on both sides",
                    "4. Objections that lost most", "5. Lowest-rated leads", "6. Guide and scoring-model changes",
                    "7. Open proposals awaiting votes", "8. Decisions of the last meeting",
                    "Decisions recorded at this meeting"):
        assert heading in agenda
    assert 'id="send-agenda"' in agenda


def test_a_meeting_with_a_bad_period_is_refused_beside_its_field_keeping_what_was_typed(client, auth, users):
    auth.login(users[M].email)
    response = auth.post("/alignment/meetings", {"held_on": "2026-11-19", "period_start": "2026-11-18",
                                                 "period_end": "2026-11-05", "participants": [users[M].id]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The period ends before it starts." in page and 'value="2026-11-18"' in page
    response = auth.post("/alignment/meetings", {"held_on": "2026-11-19", "period_start": "2026-11-05",
                                                 "period_end": "2026-11-18", "participants": [users[T].id]})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(AlignmentMeeting)) is None


def test_a_decision_is_recorded_with_htmx_and_a_refused_one_keeps_what_was_typed(client, auth, users):
    meeting = _meeting(users)
    auth.login(users[M].email)
    url = f"/alignment/meetings/{meeting.id}/decisions"
    refused = auth.post(url, {"text": "Answer pricing in one sentence", "owner": ""}, headers=HTMX)
    assert refused.status_code == 422
    fragment = refused.get_data(as_text=True)
    assert "Choose who owns it." in fragment and "Answer pricing in one sentence" in fragment
    assert "<html" not in fragment
    recorded = auth.post(url, {"text": "Answer pricing in one sentence", "owner": users[S].id,
                               "due_on": "2026-11-26"}, headers=HTMX)
    assert recorded.status_code == 200
    fragment = recorded.get_data(as_text=True)
    assert "Answer pricing in one sentence" in fragment and "due 26 Nov 2026" in fragment
    db.session.rollback()
    decision = db.session.scalar(select(AlignmentDecision))
    assert (decision.owner_id, decision.due_on) == (users[S].id, date(2026, 11, 26))

    done = auth.post(f"/alignment/decisions/{decision.id}/done", {"meeting": meeting.id}, headers=HTMX)
    assert done.status_code == 200 and "done" in done.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(AlignmentDecision, decision.id).done_at is not None


def test_a_decision_recorded_at_one_meeting_shows_on_the_next_agenda(client, auth, users):
    first = _meeting(users, date(2026, 11, 5))
    auth.login(users[M].email)
    auth.post(f"/alignment/meetings/{first.id}/decisions", {"text": "Route web leads first", "owner": users[M].id})
    second = _meeting(users, date(2026, 11, 19))
    page = client.get(f"/alignment/meetings/{second.id}").get_data(as_text=True)
    carried = page.split('id="carried-decisions"')[1].split("</ul>")[0]
    assert "Route web leads first" in carried


def test_sending_the_agenda_queues_an_email_a_participant(client, auth, users):
    meeting = _meeting(users)
    auth.login(users[M].email)
    response = auth.post(f"/alignment/meetings/{meeting.id}/send")
    assert response.status_code == 303
    db.session.rollback()
    recipients = {payload["to"] for payload in db.session.scalars(
        select(OutboxEntry.payload).where(OutboxEntry.kind == "email"))}
    assert {users[M].email, users[S].email} <= recipients


def test_sales_reads_the_agenda_without_the_meetings_controls(client, auth, users):
    meeting = _meeting(users)
    meetings.add_decision(users[M], meeting.id, text="Shorter pricing answer", owner_id=users[S].id, due_on=None)
    auth.login(users[S].email)
    assert "Plan a meeting" not in client.get("/alignment/").get_data(as_text=True)
    page = client.get(f"/alignment/meetings/{meeting.id}").get_data(as_text=True)
    assert "Shorter pricing answer" in page
    assert 'id="send-agenda"' not in page and "Mark done" not in page and "Record the decision" not in page


def test_a_range_that_ends_before_it_starts_is_refused_beside_its_field(client, auth, users):
    auth.login(users[M].email)
    for page in ("/alignment/objections", "/alignment/evidence"):
        response = client.get(f"{page}?from=2026-11-18&to=2026-11-01")
        assert response.status_code == 422
        assert "The range ends before it starts." in response.get_data(as_text=True)
    assert client.get("/alignment/evidence?campaign=999999").status_code == 422


def test_propose_from_evidence_opens_the_editor_with_the_suggested_points(client, auth, users, qualify, campaign):
    for index in range(24):  # budget confirmed (25 points) rarely wins, planned (15) mostly wins
        handoff = qualify(campaign)
        budget = "confirmed" if index < 12 else "planned"
        won = index == 0 if budget == "confirmed" else index != 12
        db.session.execute(update(Handoff).where(Handoff.id == handoff.id).values(
            answers=dict(handoff.answers, budget=dict(handoff.answers["budget"], value=budget)),
            status=HandoffStatus.ACCEPTED, outcome=Outcome.WON if won else Outcome.LOST))
    db.session.commit()
    auth.login(users[S].email)
    page = client.get(f"/alignment/evidence?campaign={campaign.id}").get_data(as_text=True)
    assert "points disagree" in page
    link = page.split('id="propose-from-evidence" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "points=budget:confirmed:-10" in link
    editor = client.get(link)
    assert editor.status_code == 200
    form = editor.get_data(as_text=True)
    assert "moved to follow their win rates" in form
    assert 'value="-10"' in form
    # the editor only proposes: nothing is in force until both sides approve
    from console.scoring.services import current_model
    assert next(o.points for o in current_model(campaign.id).criteria[0].options if o.value == "confirmed") == 25


def test_the_proposal_editor_ignores_suggestions_that_name_nothing_or_are_not_points(client, auth, users):
    auth.login(users[M].email)
    response = client.get("/definition/proposals/new?points=budget:confirmed:99999999&points=nope:x:5&points=:::"
                          "&points=budget:planned:abc")
    assert response.status_code == 200
    assert "moved to follow their win rates" not in response.get_data(as_text=True)


def test_the_evidence_and_the_objections_download_as_csv_with_the_page_figures(client, auth, users, qualify,
                                                                                 campaign):
    import csv
    import io

    for index in range(3):
        handoff = qualify(campaign)
        db.session.execute(update(Handoff).where(Handoff.id == handoff.id).values(
            status=HandoffStatus.ACCEPTED, outcome=Outcome.WON if index == 0 else Outcome.LOST))
    db.session.commit()
    auth.login(users[S].email)
    page = client.get(f"/alignment/evidence?campaign={campaign.id}").get_data(as_text=True)
    link = page.split('id="evidence-csv" hx-boost="false" download href="')[1].split('"')[0].replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Criterion", "Answer", "Points", "Hand-offs"]
    answered = [row for row in rows[1:] if row[3] != "0"]
    # each criterion's three hand-offs sit on one option: 3 hand-offs, 1 won, a win rate of 33.3 %
    assert answered and all(row[3] == "3" and row[6] == "1" and row[7] == "33.3" for row in answered)
    objections = client.get("/alignment/objections.csv?from=2026-11-01&to=2026-11-30")
    assert objections.status_code == 200
    assert objections.get_data(as_text=True).lstrip("\ufeff").startswith("Guide,Objection,Raised")
    assert client.get("/alignment/evidence.csv?from=2026-11-18&to=2026-11-01").status_code == 400
    auth.logout()
    auth.login(users[T].email)
    assert client.get(link).status_code == 403
