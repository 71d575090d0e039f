"""Every page about one campaign has the one tab bar, with its own tab marked and the dialability tab among them,
shown again when a save is refused; the campaign list links to each campaign's dialability."""
from html.parser import HTMLParser

import pytest


class _TabBars(HTMLParser):
    """Each campaign tab bar in a page: its links as (text, href, current)."""

    def __init__(self):
        super().__init__()
        self.bars, self._bar, self._link = [], None, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav" and "campaign-tabs" in (attributes.get("class") or "").split():
            self._bar = []
            self.bars.append(self._bar)
        elif tag == "a" and self._bar is not None:
            self._link = [attributes.get("href"), attributes.get("aria-current"), ""]

    def handle_data(self, data):
        if self._link is not None:
            self._link[2] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            href, current, text = self._link
            self._bar.append((text.strip(), href, current))
            self._link = None
        elif tag == "nav":
            self._bar = None


def tab_bars(page: str) -> list[list[tuple[str, str, str | None]]]:
    parser = _TabBars()
    parser.feed(page)
    return parser.bars


def urls(campaign_id: int) -> dict[str, str]:
    return {"Settings": f"/campaigns/{campaign_id}/settings", "Dispositions": f"/campaigns/{campaign_id}/dispositions",
            "Telephony": f"/telephony/campaigns/{campaign_id}", "Dialable now": f"/queue/campaigns/{campaign_id}",
            "Lists": f"/campaigns/{campaign_id}/lists", "Report": f"/reports/campaigns/{campaign_id}",
            "Hand-off SLA": f"/sla/campaigns/{campaign_id}",
            "Sales feedback": f"/handoffs/campaigns/{campaign_id}/feedback"}


def assert_one_tab_bar_showing(page: str, campaign_id: int, showing: str, tabs=None):
    bars = tab_bars(page)
    assert len(bars) == 1, f"{len(bars)} campaign tab bars"
    expected = urls(campaign_id) if tabs is None else {name: urls(campaign_id)[name] for name in tabs}
    assert [(text, href) for text, href, _current in bars[0]] == list(expected.items())
    assert [text for text, _href, current in bars[0] if current == "page"] == [showing]
    assert all(current in (None, "page") for _text, _href, current in bars[0])


@pytest.fixture
def marketing(client, auth, users):
    auth.login("marketing@example.com")
    return client


@pytest.mark.parametrize("tab", ["Settings", "Dispositions", "Telephony", "Dialable now", "Lists", "Report",
                                 "Hand-off SLA", "Sales feedback"])
def test_every_campaign_page_has_the_tab_bar_with_its_own_tab_current(marketing, campaign, tab):
    response = marketing.get(urls(campaign.id)[tab])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_one_tab_bar_showing(page, campaign.id, tab)
    assert f'<section class="panel campaign-page' in page  # one layout, one width (tests/browser measure it)
    assert f'<h1 id="campaign-heading">{campaign.name}</h1>' in page
    assert 'href="/campaigns/"' in page.split('class="breadcrumb"')[1].split("</p>")[0]
    main_nav = page.split('aria-label="Main"')[1].split("</nav>")[0]
    assert '<a href="/campaigns/" aria-current="page">Campaigns</a>' in main_nav
    assert main_nav.count('aria-current="page"') == 1


def test_admins_see_the_same_tabs(client, auth, users, campaign):
    auth.login("admin@example.com")
    assert_one_tab_bar_showing(client.get(urls(campaign.id)["Report"]).get_data(as_text=True), campaign.id, "Report")


def test_a_refused_save_keeps_the_tab_bar_and_its_tab(marketing, auth, campaign):
    refused = {
        "Settings": auth.post(urls(campaign.id)["Settings"], {"name": ""}),
        "Dispositions": auth.post(urls(campaign.id)["Dispositions"], {
            "rows-0-code": "do_not_call", "rows-0-next_action": "retry_in", "rows-0-retry_minutes": "5"}),
        "Telephony": auth.post(urls(campaign.id)["Telephony"], {"recording_mode": ""}),
        "Hand-off SLA": auth.post(urls(campaign.id)["Hand-off SLA"], {"accept_minutes": "0"}),
    }
    for tab, response in refused.items():
        assert response.status_code == 422, tab
        assert_one_tab_bar_showing(response.get_data(as_text=True), campaign.id, tab)


def test_an_agent_on_the_dialability_page_gets_only_the_tabs_they_may_open(client, auth, users, campaign):
    auth.login("teleprospector@example.com")
    page = client.get(urls(campaign.id)["Dialable now"]).get_data(as_text=True)
    assert_one_tab_bar_showing(page, campaign.id, "Dialable now", tabs=["Dialable now"])
    for tab in ("Settings", "Dispositions", "Telephony", "Report", "Hand-off SLA"):
        assert f'href="{urls(campaign.id)[tab]}"' not in page
        assert client.get(urls(campaign.id)[tab]).status_code == 403  # which is why there is no tab to it
    assert 'href="/queue"' in page.split('class="breadcrumb"')[1].split("</p>")[0]


def test_the_htmx_dialability_fragment_has_no_tab_bar(marketing, campaign):
    fragment = marketing.get(urls(campaign.id)["Dialable now"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div class="campaign-dialability"') and tab_bars(fragment) == []


def test_the_campaign_list_links_to_every_campaign_page(marketing, campaign, make_campaign):
    other = make_campaign(name="Spring webinar")
    page = marketing.get("/campaigns/").get_data(as_text=True)
    for each in (campaign, other):
        for url in urls(each.id).values():
            assert f'href="{url}"' in page
        assert f'aria-label="Leads of {each.name} dialable now">Dialable now</a>' in page
