"""What the call screen costs: a few SQL statements however much the lead has behind it, and the published guide's
Markdown rendered once a version (each lead's merge fields filled in afterwards, escaped)."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from console.calls.models import Call, QualificationAnswer
from console.clock import utcnow
from console.extensions import db
from console.guides import rules
from console.guides import services as guide_services
from console.guides.models import CallObjection
from console.leads.models import Touch
from tests.conftest import AuthActions

# The call screen: the user, the call with its lead, campaign, account, touches and guide version, the answers,
# the objection marks, the earlier calls with their agents and referrals, the colleagues, the dispositions, the
# agent's status (top bar) and its line, the bell; and the dialer drawn inside the page (so it opens in its final
# layout): its phone call, the do-not-call check, the campaign's telephony settings, the recordings; the recall that
# brought the lead back, if any (with who set it), and the agent's unread feedback from sales (top bar).
CALL_SCREEN_STATEMENTS = 16
# The answer autosave: the user and the call; in the write: the call with its lead read afresh, the version bump,
# the answers, the answer, the audit row, the score; after it, the call and lead for the fragment.
AUTOSAVE_STATEMENTS = 10


class Statements:
    """Counts the SQL statements the app's engine runs inside the block (not BEGIN/COMMIT: SQLite's are statements
    the console sends itself, PostgreSQL's are not)."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _executed(self, _connection, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._executed)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._executed)

    def __len__(self):
        return len(self.seen)


def signed_in(app, email):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(email).status_code == 303
    return client, auth


def claim(client, auth) -> int:
    response = client.post("/queue/next", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def two_calls(app, users, make_user, campaign, make_lead):
    """Two agents on two calls: a first call to a new lead, and a call to a lead with a long history."""
    make_lead(campaign, first_name="Jordan", company="Globex Logistics")
    make_lead(campaign, first_name="Casey", company="Initech")
    other = make_user(full_name="Robin Other")
    first = signed_in(app, "teleprospector@example.com")
    second = signed_in(app, other.email)
    calls = {"first": (first, claim(*first)), "long": (second, claim(*second))}
    db.session.rollback()  # the claims were written by the requests: read after them
    call = db.session.get(Call, calls["long"][1])
    lead = call.lead
    earlier = utcnow() - timedelta(days=3)
    for n in range(6):  # earlier calls by both agents, some of them with referrals
        referral = make_lead(campaign, first_name=f"Referred{n}", account=lead.account, queue_state="closed") \
            if n % 2 else None
        db.session.add(Call(lead_id=lead.id, campaign_id=campaign.id, agent_id=(users["teleprospector"], other)[n % 2].id,
                            status="completed", disposition="gatekeeper", notes=f"Call {n}", started_at=earlier,
                            ended_at=earlier, referral_lead_id=referral.id if referral else None))
    db.session.add_all([Touch(lead_id=lead.id, kind="webinar", description=f"Touch {n}", occurred_at=earlier)
                        for n in range(5)])
    db.session.add_all([QualificationAnswer(lead_id=lead.id, criterion=key, value=value) for key, value in
                        {"budget": "planned", "authority": "decision_maker", "need": "urgent"}.items()])
    db.session.add_all([CallObjection(call_id=call.id, guide_version_id=call.guide_version_id, objection_id=objection,
                                      agent_id=other.id, worked=True) for objection in ("no-budget", "send-email")])
    db.session.commit()
    return calls


def test_the_call_screen_reads_a_few_statements_however_much_the_lead_has_behind_it(app, two_calls):
    counted = {}
    for name, ((client, _auth), call_id) in two_calls.items():
        assert client.get(f"/calls/{call_id}").status_code == 200  # this process renders the guide version once
        with Statements(app) as statements:
            page = client.get(f"/calls/{call_id}").get_data(as_text=True)
        counted[name] = len(statements)
        if name == "long":  # the history is all there
            assert all(f"Call {n}" in page for n in range(6)) and "Referred5" in page and "Robin Other" in page
            assert all(f"Touch {n}" in page for n in range(5)) and ">Worked</span>" in page
    assert counted["long"] == counted["first"], counted
    assert counted["first"] <= CALL_SCREEN_STATEMENTS, counted


def test_an_answer_autosave_reads_and_writes_a_few_statements(app, two_calls):
    import re

    for name, ((client, auth), call_id) in two_calls.items():
        page = client.get(f"/calls/{call_id}").get_data(as_text=True)
        version = re.search(r'id="lead-version"[^>]*value="(\d+)"', page).group(1)
        token = auth.csrf_token()
        with Statements(app) as statements:
            response = client.post(f"/calls/{call_id}/answers", data={"criterion": "budget", "value": "confirmed",
                                                                     "version": version},
                                   headers={"HX-Request": "true", "X-CSRFToken": token})
        assert response.status_code == 200 and f'value="{int(version) + 1}"' in response.get_data(as_text=True)
        assert len(statements) <= AUTOSAVE_STATEMENTS, (name, statements.seen)


def test_the_guide_is_rendered_once_a_version_and_filled_in_for_each_lead(app, two_calls, monkeypatch, campaign,
                                                                            make_lead):
    rendered = []
    markdown_to_html = rules.markdown.markdown
    monkeypatch.setattr(rules.markdown, "markdown", lambda text, **kw: rendered.append(text) or markdown_to_html(text, **kw))
    (first_client, _auth), first_call = two_calls["first"]
    (second_client, _auth), second_call = two_calls["long"]
    page = first_client.get(f"/calls/{first_call}").get_data(as_text=True)
    first_renders = len(rendered)
    assert first_renders > 10  # every authored text of the version, once
    other = second_client.get(f"/calls/{second_call}").get_data(as_text=True)
    found = second_client.get(f"/guides/calls/{second_call}/objections", query_string={"q": "budget"},
                              headers={"HX-Request": "true"}).get_data(as_text=True)
    assert len(rendered) == first_renders  # the same version: not rendered again
    names = {call_id: db.session.get(Call, call_id).lead.account.name for call_id in (first_call, second_call)}
    assert f"like {names[first_call]}" in page and f"like {names[second_call]}" in other  # each lead's own fields
    assert f"like {names[first_call]}" not in other and f"work for {names[second_call]}" in found

    # A version published since is what the next call uses, rendered when it is first shown.
    content = dict(db.session.get(Call, second_call).guide_version.content, opening="Hello {{ contact.first_name }}!")
    guide_services.add_version(campaign.call_guide, content, publish=True)
    db.session.commit()
    make_lead(campaign, first_name="Riley", company="Umbrella")
    db.session.remove()
    client, auth = two_calls["first"][0]
    response = client.post(f"/calls/{first_call}/disposition",
                           data={"disposition": "no_answer", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and "/calls/" in response.headers["Location"]  # auto-advance: Riley's call
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(rendered) > first_renders and "Hello Riley!" in page


def test_lead_data_that_looks_like_markdown_or_html_stays_text_in_the_guide(app, users, campaign, make_lead):
    make_lead(campaign, first_name="*Jo*", company="<b>Acme</b> & Sons")
    client, auth = signed_in(app, "teleprospector@example.com")
    page = client.get(f"/calls/{claim(client, auth)}").get_data(as_text=True)
    opening = page.split('<div class="script">', 1)[1].split("</div>", 1)[0]
    assert opening.startswith("<p>Hi *Jo*, this is ") and "<em>Jo</em>" not in opening
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Sons" in page and "<b>Acme</b>" not in page
