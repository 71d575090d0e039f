"""The guide on the call screen over HTTP: steps with branches, objection quick-find, and marking objections."""
import pytest

from console.extensions import db
from console.guides import services
from tests.conftest import AuthActions


@pytest.fixture
def agent_client(client, auth, users):
    auth.login("teleprospector@example.com")
    return client


@pytest.fixture
def call_id(agent_client, auth, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    db.session.rollback()  # the requests below write; the test must not hold an old snapshot
    response = agent_client.post("/queue/next", data={"csrf_token": auth.csrf_token()})
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def quick_find(client, call_id, query):
    return client.get(f"/guides/calls/{call_id}/objections", query_string={"q": query}, headers={"HX-Request": "true"})


def mark(client, auth, call_id, objection_id, outcome):
    return client.post(f"/guides/calls/{call_id}/objections/{objection_id}", data={"outcome": outcome},
                       headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()})


def test_the_call_screen_guide_has_steps_with_branches_and_the_quick_find(agent_client, call_id):
    page = agent_client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert 'id="guide-step-right-person"' in page and "guide-step is-current" in page
    assert 'data-goto-step="referral"' in page and "→ Referral: who to call instead" in page
    assert 'data-field="need" data-value="urgent"' in page  # a branch answer also fills in the qualification
    assert 'id="objection-search"' in page and f'hx-get="/guides/calls/{call_id}/objections"' in page
    assert "data-filter" not in page.split('id="objection-search"')[1].split(">")[0]
    assert "Hi Jordan" in page and "Globex Logistics" in page


def test_quick_find_returns_only_matching_objections_and_battlecards_as_a_fragment(agent_client, call_id):
    response = quick_find(agent_client, call_id, "pipestar")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.startswith('<div id="objection-results"') and 'data-query="pipestar"' in fragment
    assert "We&#39;re looking at PipeStar." in fragment and 'id="guide-battlecard-pipestar"' in fragment
    assert "Just send me an email." not in fragment and "Acme Dialer" not in fragment


def test_quick_find_says_when_nothing_matches(agent_client, call_id):
    fragment = quick_find(agent_client, call_id, "zebra").get_data(as_text=True)
    assert "No objection matches “zebra”." in fragment and "No battlecard matches “zebra”." in fragment


def test_quick_find_fills_merge_fields_for_the_lead(agent_client, call_id):
    assert "work for Globex Logistics" in quick_find(agent_client, call_id, "budget").get_data(as_text=True)


def test_marking_an_objection_saves_it_on_the_call_and_updates_its_badge(agent_client, auth, call_id):
    response = mark(agent_client, auth, call_id, "no-budget", "worked")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.startswith('<div class="objection-mark" id="mark-no-budget"')
    assert 'class="mark-button mark-worked is-on" aria-pressed="true"' in fragment
    assert 'id="mark-state-no-budget" hx-swap-oob="true">Worked</span>' in fragment
    db.session.rollback()
    from console.calls.models import Call
    assert services.marks_for(db.session.get(Call, call_id)) == {"no-budget": True}
    # The mark is still there on a reload, and in the quick-find results.
    assert ">Worked</span>" in quick_find(agent_client, call_id, "budget").get_data(as_text=True)


def test_an_unknown_objection_is_not_found_and_a_bad_outcome_is_refused_with_the_marks_kept(agent_client, auth, call_id):
    assert mark(agent_client, auth, call_id, "no-such-objection", "worked").status_code == 404
    response = mark(agent_client, auth, call_id, "no-budget", "maybe")
    assert response.status_code == 422 and "Unknown outcome" in response.get_data(as_text=True)
    assert 'id="mark-no-budget"' in response.get_data(as_text=True)


def test_another_agent_can_neither_search_nor_mark_my_call(app, call_id, make_user):
    other = make_user("teleprospector", email="other@example.com")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(other.email)
    assert quick_find(client, call_id, "budget").status_code == 403
    assert mark(client, auth, call_id, "no-budget", "worked").status_code == 403


def test_an_admin_may_search_an_agents_call_but_not_mark_it(app, call_id, users):
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("admin@example.com")
    fragment = quick_find(client, call_id, "budget").get_data(as_text=True)
    assert "We don&#39;t have budget for this." in fragment and "objection-mark" not in fragment
    assert mark(client, auth, call_id, "no-budget", "worked").status_code == 403


def test_marks_show_up_in_the_editors_objection_results(app, agent_client, auth, call_id):
    mark(agent_client, auth, call_id, "too-expensive", "failed")
    client = app.test_client()
    AuthActions(client).login("sales@example.com")
    guide_id = db.session.execute(db.text("SELECT id FROM call_guides WHERE slug = 'default-b2b'")).scalar()
    editor = client.get(f"/guides/{guide_id}/edit").get_data(as_text=True)
    assert "Used on <strong>1</strong> call" in editor and "ended qualified <strong>0</strong> (0%)" in editor
    performance = client.get(f"/guides/{guide_id}/performance?period=7").get_data(as_text=True)
    assert 'id="performance-too-expensive"' in performance and "Too few marks" in performance
