"""The guide editor over HTTP: every part of a guide in one form, live preview, drafts, publish, history, diff,
revert, two editors at once, and authored text that can never run script."""
import re
from html.parser import HTMLParser

import pytest

from console.extensions import db
from console.guides import services
from tests.conftest import AuthActions


class _FormReader(HTMLParser):
    """The values a browser would submit from the guide editor's form."""

    def __init__(self):
        super().__init__()
        self.values, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button") and name != "change":
            self.values[name] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, None)
        elif tag == "option" and self._select:
            if "selected" in attributes or self.values[self._select] is None:
                self.values[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            # Browsers drop the newline that may open a textarea's text (WTForms writes one).
            self.values[self._textarea] = re.sub(r"^\r?\n", "", self.values[self._textarea])
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def editor_form(page: str) -> dict:
    form = re.search(r'<form id="guide-form".*?</form>', page, re.S).group(0)
    reader = _FormReader()
    reader.feed(form)
    return {name: value or "" for name, value in reader.values.items()}


def fresh():
    """End the test's own read transaction, so it sees what the requests wrote (SQLite keeps a snapshot)."""
    db.session.rollback()


def field_for(values: dict, text: str) -> str:
    """The name of the form field whose value is this text."""
    return next(name for name, value in values.items() if value == text)


@pytest.fixture
def sales(client, auth, users, default_guide):
    auth.login("sales@example.com")
    return client


@pytest.fixture
def editor_url(default_guide):
    return f"/guides/{default_guide.id}/edit"


def open_editor(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return editor_form(response.get_data(as_text=True))


def change_response(values: dict, objection: str, response: str) -> dict:
    prefix = field_for(values, objection).rsplit("-", 1)[0]
    return dict(values, **{f"{prefix}-response": response})


def test_the_editor_shows_every_part_of_the_latest_version(sales, editor_url):
    page = sales.get(editor_url).get_data(as_text=True)
    values = editor_form(page)
    assert values["name"] == "Northwind Revenue Cloud: B2B qualification" and values["base_number"] == "1"
    assert values["steps-0-ref"] == "right-person" and values["steps-0-answers-1-next"] == "referral"
    assert values["steps-2-answers-0-value"] == "urgent"
    assert values["objections-0-tags"] == "budget, price"
    assert "How do you connect call activity" in values["battlecards-0-landmines"]
    assert "Voicemail script" in page and "Live preview" in page and "Published v1" in page


def test_saving_makes_a_draft_and_publishing_makes_it_what_agents_see(sales, auth, editor_url, default_guide):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Cheaper than **guessing**.")
    response = sales.post(editor_url, data=dict(values, change_note="Shorter price answer"))
    assert response.status_code == 303 and response.headers["Location"] == editor_url
    page = sales.get(editor_url).get_data(as_text=True)
    assert "Draft version 2 saved. Agents still see version 1 until you publish it." in page
    assert "Draft v2" in page and "Publish v2" in page
    assert default_guide.published_version.number == 1

    response = auth.post(f"/guides/{default_guide.id}/publish", {"number": "2"})
    assert response.status_code == 303
    assert "Version 2 published: agents see it from their next call." in sales.get(editor_url).get_data(as_text=True)
    fresh()
    assert default_guide.published_version.number == 2


def test_an_unknown_merge_field_is_refused_at_save_with_the_text_kept(sales, editor_url, default_guide):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Ask {{ contact.shoe_size }}")
    response = sales.post(editor_url, data=values)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not saved: fix this first." in page
    assert re.search(r'<a href="#objections-3-response">Objection 4 “It&#39;s too expensive.”: response</a>: '
                     r"unknown merge field \{\{ contact.shoe_size \}\}", page)
    assert 'aria-invalid="true"' in page and "Ask {{ contact.shoe_size }}</textarea>" in page
    fresh()
    assert len(services.versions_of(default_guide)) == 1


def test_a_second_editor_is_told_someone_saved_first_and_keeps_their_text(app, sales, editor_url, default_guide, make_user):
    make_user("sales", email="riley@example.com", full_name="Riley Closer")
    riley = app.test_client()
    AuthActions(riley).login("riley@example.com")
    riley_values = open_editor(riley, editor_url)

    sam_values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Sam's answer.")
    assert sales.post(editor_url, data=sam_values).status_code == 303

    riley_values = change_response(riley_values, "It's too expensive.", "Riley's answer.")
    response = riley.post(editor_url, data=dict(riley_values, change_note="Riley's note"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not saved yet: Sales Person saved version 2 while you were editing version 1." in page
    assert "Riley&#39;s answer.</textarea>" in page and 'value="Riley&#39;s note"' in page
    assert f"/guides/{default_guide.id}/diff?from=1&amp;to=2" in page

    # Saving again after being told makes Riley's text the newest draft; Sam's stays in the history.
    response = riley.post(editor_url, data=editor_form(page))
    assert response.status_code == 303
    fresh()
    assert [version.number for version in services.versions_of(default_guide)] == [3, 2, 1]


def test_adding_moving_and_removing_items_rerenders_the_form_and_keeps_unsaved_text(sales, editor_url, default_guide):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Typed, not saved.")
    url = f"/guides/{default_guide.id}/edit/form"
    headers = {"HX-Request": "true"}
    fragment = sales.post(url, data=dict(values, change="add:objections"), headers=headers)
    assert fragment.status_code == 200 and fragment.headers["HX-Trigger"] == "guide-changed"
    added = editor_form('<form id="guide-form">' + fragment.get_data(as_text=True) + "</form>")
    assert added["objections-10-objection"] == "" and "Typed, not saved." in added.values()
    assert 'id="edit-objections-10" data-focus' in fragment.get_data(as_text=True)

    moved = editor_form('<form id="guide-form">' + sales.post(url, data=dict(values, change="up:objections:1"),
                                                              headers=headers).get_data(as_text=True) + "</form>")
    assert moved["objections-0-ref"] == "send-email" and moved["objections-1-ref"] == "no-budget"

    removed = editor_form('<form id="guide-form">' + sales.post(url, data=dict(values, change="remove:steps:1"),
                                                                headers=headers).get_data(as_text=True) + "</form>")
    assert removed["steps-1-ref"] == "need" and "steps-6-ref" not in removed
    fresh()
    assert len(services.versions_of(default_guide)) == 1  # nothing was saved


def test_the_live_preview_shows_the_agents_view_and_the_problems(sales, editor_url, default_guide):
    values = open_editor(sales, editor_url)
    values["opening"] = "Hi {{ contact.first_name }} from {{ account.name }}, **{{ agent.nickname }}** here"
    fragment = sales.post(f"/guides/{default_guide.id}/preview", data=values,
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert "Hi Jordan from Example Corp" in fragment
    assert '<a href="#opening">Opening</a>: unknown merge field {{ agent.nickname }}' in fragment
    assert 'class="answer" data-goto-step="referral"' in fragment


def test_history_lists_versions_with_author_time_and_note_and_diffs_any_two(sales, auth, editor_url, default_guide):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Cheaper than guessing.")
    sales.post(editor_url, data=dict(values, change_note="Shorter price answer"))
    history = sales.get(f"/guides/{default_guide.id}/history").get_data(as_text=True)
    assert "Sales Person" in history and "Shorter price answer" in history and "File sync" in history
    assert "Synced from call_guides/default-b2b.yaml" in history
    assert re.search(r"v2</th>\s*<td>\w{3} \d\d \d{4} \d\d:\d\d UTC</td>", history)

    diff = sales.get(f"/guides/{default_guide.id}/diff?from=1&to=2").get_data(as_text=True)
    assert '<tr class="diff-changed">' in diff
    assert "<ins>Cheaper than guessing.</ins>" in diff and "<del>|-</del>" in diff


def test_revert_publishes_the_old_text_as_a_new_version(sales, auth, editor_url, default_guide):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Worse answer.")
    sales.post(editor_url, data=values)
    auth.post(f"/guides/{default_guide.id}/publish", {"number": "2"})
    response = auth.post(f"/guides/{default_guide.id}/versions/1/revert", {"change_note": "v1 converted better"})
    assert response.status_code == 303
    history = sales.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reverted: version 3 (the text of version 1) is published." in history
    assert "Reverted to version 1: v1 converted better" in history
    fresh()
    assert default_guide.published_version.content == services.version_by_number(default_guide, 1).content


def test_a_version_downloads_as_its_yaml_file(sales, default_guide):
    response = sales.get(f"/guides/{default_guide.id}/versions/1.yaml")
    assert response.headers["Content-Disposition"] == 'attachment; filename="default-b2b.yaml"'
    assert response.get_data(as_text=True).startswith("# Call guide: Northwind Revenue Cloud")


def test_a_sales_member_creates_a_persona_variant_as_a_draft(sales, auth, default_guide):
    response = auth.post("/guides/new", {"name": "Northwind: champions", "slug": "champions",
                                         "copy_from": str(default_guide.id)})
    assert response.status_code == 303
    page = sales.get(response.headers["Location"]).get_data(as_text=True)
    assert "Guide Northwind: champions created as a draft." in page and "Not published" in page


def test_marketing_reads_guides_history_and_performance_but_cannot_edit(client, auth, users, default_guide):
    auth.login("marketing@example.com")
    assert client.get(f"/guides/{default_guide.id}").status_code == 200
    assert client.get(f"/guides/{default_guide.id}/performance").status_code == 200
    index = client.get("/guides/").get_data(as_text=True)
    assert "/edit" not in index and "New guide" not in index
    assert client.get(f"/guides/{default_guide.id}/edit").status_code == 403


XSS = {
    "response": '<script>alert("r")</script><img src=x onerror=alert(1)>[x](javascript:alert(1))',
    "objection": '<img src=x onerror=alert("o")>',
    "tags": '"><script>alert("t")</script>',
    "competitor": "<svg onload=alert(1)>",
}


def test_script_saved_in_a_guide_never_runs_anywhere_it_is_shown(app, campaign, make_lead, sales, auth, editor_url,
                                                                default_guide):
    make_lead(campaign)
    fresh()
    values = open_editor(sales, editor_url)
    prefix = field_for(values, "It's too expensive.").rsplit("-", 1)[0]
    values.update({f"{prefix}-{key}": payload for key, payload in XSS.items()})
    values["name"] = "<script>alert('name')</script>Guide"
    values["steps-0-answers-0-text"] = "<b onmouseover=alert(1)>Yes</b>"
    values["battlecards-0-landmines"] = "<iframe src=https://evil.example></iframe>"
    assert sales.post(editor_url, data=values).status_code == 303
    auth.post(f"/guides/{default_guide.id}/publish", {"number": "2"})

    agent = app.test_client()
    AuthActions(agent).login("teleprospector@example.com")
    call_url = agent.post("/queue/next", data={"csrf_token": AuthActions(agent).csrf_token()},
                          follow_redirects=False).headers["Location"]
    call_id = int(call_url.rstrip("/").rsplit("/", 1)[1])
    pages = {
        "editor": sales.get(editor_url),
        "preview": sales.post(f"/guides/{default_guide.id}/preview", data=values, headers={"HX-Request": "true"}),
        "guide": sales.get(f"/guides/{default_guide.id}"),
        "history": sales.get(f"/guides/{default_guide.id}/history"),
        "diff": sales.get(f"/guides/{default_guide.id}/diff?from=1&to=2"),
        "performance": sales.get(f"/guides/{default_guide.id}/performance"),
        "index": sales.get("/guides/"),
        "call screen": agent.get(f"/calls/{call_id}"),
        "quick-find": agent.get(f"/guides/calls/{call_id}/objections?q=alert", headers={"HX-Request": "true"}),
    }
    assert active_content('<p><img src=x onerror=alert(1)><a href="javascript:x">') != []  # the check can fail
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert active_content(response.get_data(as_text=True)) == [], f"script could run on the {where} page"
    assert "&lt;img src=x onerror=alert(&#34;o&#34;)&gt;" in pages["quick-find"].get_data(as_text=True)


class _ActiveContentFinder(HTMLParser):
    """Tags and attributes in a page that could run script: what an injection would have to produce."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "svg", "object", "embed", "img", "math"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src", "action", "formaction")
                                         and (value or "").strip().lower().startswith(("javascript", "data:"))):
                self.found.append(f"<{tag} {name}={value}>")
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data}</script>")

    def handle_endtag(self, tag):
        self._in_script = False


def active_content(html: str) -> list[str]:
    finder = _ActiveContentFinder()
    finder.feed(html)
    return finder.found
