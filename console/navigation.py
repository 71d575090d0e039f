"""The top bar's menu: every page a person reaches from it, grouped, shown only to those who may open it.

Entries name endpoints, never import them: an entry whose view does not exist or that the signed-in
user may not use (`security.may_use`) is left out, and a group left with one entry becomes a plain link.
A new page joins the menu with one line here.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from console.security import may_use


@dataclass(frozen=True)
class Entry:
    endpoint: str
    label: str
    # Endpoints whose pages count as this entry's (it is marked as the current page), or "blueprint." for a
    # whole blueprint's; a named endpoint wins over a blueprint.
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    label: str
    entries: tuple[Entry, ...]


MENU = (
    Group("Queue", (Entry("queue.show", "Queue", ("queue.", "calls.call_screen")),)),
    Group("Callbacks", (Entry("calls.callbacks", "Callbacks"),)),
    Group("Feedback", (Entry("handoffs.feedback", "Feedback"),)),  # the agent's: what sales made of their leads
    Group("Hand-offs", (
        Entry("handoffs.inbox", "Hand-offs", ("handoffs.",)),
        Entry("handoff_review.index", "Review before sales", ("handoff_review.",)),
        Entry("routing.availability", "My availability", ("routing.save_availability",)),
    )),
    Group("Leads", (
        Entry("lead_record.search", "Find a lead", ("lead_record.",)),
        Entry("imports.index", "Imports", ("imports.",)),
        Entry("leads.do_not_call", "Do-not-call list", ("leads.",)),
    )),
    Group("Campaigns", (
        # Every page about one campaign (templates/campaigns/_tabs.html), whichever area serves it.
        Entry("campaigns.index", "Campaigns", (
            "campaigns.", "calls.campaign_dispositions", "calls.save_campaign_dispositions",
            "telephony.campaign_settings", "telephony.save_campaign_settings", "queue.campaign_dialability",
            "reports.campaign", "reports.campaign_csv", "imports.campaign_lists", "sla.campaign", "sla.save_campaign", "sla.use_default",
            "handoffs.campaign_feedback")),
        Entry("campaigns.calendar", "Campaign calendar"),
        Entry("routing.index", "Hand-off routing", ("routing.",)),
    )),
    Group("Call guides", (Entry("guides.index", "Call guides", ("guides.",)),)),
    Group("Reports", (
        Entry("reports.campaigns", "Campaign reports", ("reports.",)),
        Entry("reports.agents", "Agent view", ("reports.agents", "reports.agents_csv")),
        Entry("alignment.index", "Alignment meeting", ("alignment.",)),  # with the objections and the evidence
    )),
    Group("Lead definition", (Entry("scoring.definition", "Lead definition", ("scoring.",)),)),
    Group("Admin", (
        Entry("team.users", "Users", ("team.",)),
        Entry("team.audit_log", "Audit log", ("team.audit_log", "team.audit_export")),
        Entry("outbox.index", "Outbox", ("outbox.",)),
        Entry("outbox.webhooks", "CRM endpoints", ("outbox.webhook", "outbox.save_webhook", "outbox.test_webhook",
                                                   "outbox.add_webhook")),
        Entry("sla.index", "Hand-off SLA", ("sla.save_default", "sla.member_team", "sla.save_member_team")),
        Entry("api_pages.tokens", "API tokens", ("api_pages.create_token", "api_pages.revoke_token")),
        Entry("api_pages.reference", "API reference"),
    )),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    endpoint: str
    current: bool


@dataclass(frozen=True)
class MenuItem:
    label: str
    links: tuple[Link, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def current_entry(endpoint: str | None) -> Entry | None:
    """The entry a page belongs to: the one naming its endpoint, else the one covering its blueprint."""
    if not endpoint:
        return None
    by_blueprint = None
    for group in MENU:
        for entry in group.entries:
            if endpoint == entry.endpoint or endpoint in entry.covers:
                return entry
            if by_blueprint is None and f"{endpoint.split('.')[0]}." in entry.covers:
                by_blueprint = entry
    return by_blueprint


def main_menu() -> list[MenuItem]:
    """The signed-in user's menu, in order, with the current page marked (a template global)."""
    current = current_entry(request.endpoint)
    items = []
    for group in MENU:
        links = tuple(Link(url_for(entry.endpoint), entry.label, entry.endpoint, entry is current)
                      for entry in group.entries if may_use(entry.endpoint))
        if links:
            items.append(MenuItem(group.label if len(links) > 1 else links[0].label, links))
    return items


def init_app(app) -> None:
    app.jinja_env.globals["main_menu"] = main_menu
