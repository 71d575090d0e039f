"""`flask demo seed`: a console that runs out of the box, with users, guides, campaigns and leads.

Every company, person and number here is fictional: phone numbers use the
555-0100..0199 range reserved for fiction, on real area codes so that time
zones are inferred as they would be for real leads. The data is generated from
a fixed random seed, so every run produces the same leads.
"""
from __future__ import annotations

import random
import re
from datetime import date, time, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from console.auth.models import Role, User
from console.calls.models import Call, CallStatus, QualificationAnswer
from console.calls.rules import NextAction
from console.auth.services import create_user
from console.campaigns.models import Campaign
from console.compliance.models import DoNotCallSource
from console.clock import utcnow
from console.extensions import db
from console.guides import services as guide_services
from console.handoffs import services as handoffs
from console.handoffs import sla_services
from console.handoffs.models import NextStep, RejectionKind
from console.handoffs.rules import ContactKind, LostReason, Step
from console.database import writers
from console.demo import history
from console.leads import services as leads_writer
from console.leads.models import Account, Lead, Touch
from console.leads.rules import QueueState, Stage, normalise_phone
from console.scoring import rules as scoring
from console.scoring.services import current_model

DEMO_PASSWORD = "demo-password-1"
RANDOM_SEED = 2026
MAIN_CAMPAIGN_LEADS = 230
IT_CAMPAIGN_LEADS = 40
ENDED_CAMPAIGN_LEADS = 18

DEMO_USERS = (
    ("agent@example.com", "Alex Agent", Role.TELEPROSPECTOR),
    ("agent2@example.com", "Blair Caller", Role.TELEPROSPECTOR),
    ("agent3@example.com", "Casey Dialer", Role.TELEPROSPECTOR),
    ("agent4@example.com", "Drew Prospector", Role.TELEPROSPECTOR),
    ("agent5@example.com", "Emery Voss", Role.TELEPROSPECTOR),
    ("sales@example.com", "Sam Seller", Role.SALES),
    ("sales2@example.com", "Riley Closer", Role.SALES),
    ("marketing@example.com", "Morgan Marketer", Role.MARKETING),
    ("admin@example.com", "Ada Admin", Role.ADMIN),
)

MAIN_CAMPAIGN = "Q4 Mid-market Pipeline Push"
IT_CAMPAIGN = "IT Leaders Security Webinar"
SCHEDULED_CAMPAIGN = "Q1 Enterprise Launch"
PAUSED_CAMPAIGN = "Partner Referral Drive"
ENDED_CAMPAIGN = "Fall Trade Show Follow-up"
ARCHIVED_CAMPAIGN = "Summer Webinar Series"
CALLER_ID = "+12125550100"
IT_CALLER_ID = "+16175550100"

# Area code → (state, weight). Weights roughly follow where mid-market companies are.
AREA_CODES = {
    "212": ("NY", 12), "617": ("MA", 8), "404": ("GA", 7), "305": ("FL", 6),
    "312": ("IL", 10), "214": ("TX", 8), "713": ("TX", 7), "612": ("MN", 5),
    "303": ("CO", 6), "801": ("UT", 4), "602": ("AZ", 5),
    "415": ("CA", 9), "213": ("CA", 8), "206": ("WA", 6), "503": ("OR", 4),
    "907": ("AK", 1), "808": ("HI", 1),
}

FIRST_NAMES = (
    "James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Daniel", "Priya",
    "Kevin", "Aisha", "Carlos", "Emily", "Jason", "Sofia", "Brian", "Rachel", "Marcus", "Hannah",
    "Anthony", "Grace", "Eric", "Olivia", "Tyler", "Mei", "Jordan", "Laura", "Andre", "Nicole",
    "Samuel", "Fatima", "Ryan", "Megan", "Luis", "Chloe", "Derek", "Yuki", "Nathan", "Isabel",
    "Omar", "Kayla", "Victor", "Tanya", "Ethan", "Rosa", "Trevor", "Alicia", "Hassan", "Brooke",
)
LAST_NAMES = (
    "Anderson", "Nguyen", "Patel", "Johnson", "Garcia", "Kim", "Thompson", "Martinez", "Okafor", "Brown",
    "Chen", "Rodriguez", "Walker", "Singh", "Lopez", "Harris", "Murphy", "Rivera", "Cohen", "Lee",
    "Bennett", "Fischer", "Hughes", "Ramirez", "Sullivan", "Park", "Foster", "Gonzalez", "Reyes", "Ward",
    "Novak", "Brooks", "Adeyemi", "Morales", "Price", "Schneider", "Tanaka", "Coleman", "Jensen", "Flores",
)

COMPANY_STEMS = (
    "Bluegate", "Cedar Ridge", "Ironwood", "Lakeshore", "Summit Peak", "Harborview", "Redfern", "Silverline",
    "Granite Bay", "Pinecrest", "Brightline", "Copperleaf", "Northstar", "Clearwater", "Westbrook", "Oakmont",
    "Riverbend", "Stonebridge", "Evergreen", "Falcon", "Meridian", "Trailhead", "Keystone", "Bayfront",
    "Sagebrush", "Highland", "Maple Hill", "Crescent", "Tidewater", "Juniper", "Beacon", "Canyon",
)
COMPANY_KINDS = (
    ("Logistics", "Logistics & supply chain"),
    ("Health Partners", "Healthcare services"),
    ("Software", "Software"),
    ("Analytics", "Software"),
    ("Manufacturing", "Manufacturing"),
    ("Industrial Supply", "Wholesale distribution"),
    ("Financial Group", "Financial services"),
    ("Insurance", "Insurance"),
    ("Staffing", "Professional services"),
    ("Consulting", "Professional services"),
    ("Media", "Media & marketing"),
    ("Energy", "Energy & utilities"),
    ("Security", "Cybersecurity"),
    ("Telecom", "Telecommunications"),
    ("Foods", "Food & beverage"),
    ("Properties", "Real estate"),
)

# (title, buying role, weight): who marketing's leads for a sales-analytics product tend to be.
SALES_TITLES = (
    ("Chief Revenue Officer", "decision maker", 4),
    ("VP Sales", "decision maker", 8),
    ("VP Sales Operations", "decision maker", 3),
    ("Head of Revenue Operations", "champion", 7),
    ("Revenue Operations Manager", "champion", 6),
    ("Sales Director", "influencer", 7),
    ("Director of Sales Development", "influencer", 5),
    ("Regional Sales Manager", "influencer", 5),
    ("Sales Operations Analyst", "user", 4),
    ("Account Executive", "user", 4),
    ("SDR Team Lead", "user", 3),
    ("Executive Assistant to the CEO", "gatekeeper", 2),
    ("Office Manager", "gatekeeper", 1),
)
IT_TITLES = (
    ("IT Director", "influencer", 8),
    ("CIO", "decision maker", 3),
    ("Head of IT", "decision maker", 4),
    ("Director of Enterprise Applications", "champion", 4),
    ("Security Architect", "influencer", 3),
    ("IT Manager", "user", 4),
    ("IT Service Desk Lead", "gatekeeper", 1),
)

MAIN_SOURCES = (("webinar", 4), ("ebook download", 3), ("paid search", 3), ("trade show", 2))

TOUCHES = {
    "email_open": (
        "Opened email 'Your Q4 pipeline, in one view'",
        "Opened email 'Forecast accuracy: 5 habits of top RevOps teams'",
        "Opened email 'Webinar replay: Pipeline Reviews That Work'",
    ),
    "email_click": (
        "Clicked 'See pricing' in the November newsletter",
        "Clicked 'Watch the 3-minute demo' in email",
        "Clicked 'Book a pipeline assessment' in email",
    ),
    "download": (
        "Downloaded 'Pipeline Benchmarks 2026' e-book",
        "Downloaded 'Mid-market Sales Forecasting Playbook'",
        "Downloaded 'RevOps Tool Stack Checklist'",
    ),
    "webinar": (
        "Attended webinar 'Pipeline Reviews That Work' (52 min)",
        "Registered for webinar 'Forecasting Without Spreadsheets', did not attend",
        "Attended webinar 'Forecasting Without Spreadsheets' (38 min)",
    ),
    "site_visit": (
        "Visited pricing page (3 pages, 4 min)",
        "Visited 'Northwind vs. PipeStar' comparison page",
        "Visited integrations page (CRM connectors)",
        "Visited customer story 'Brightline Logistics'",
    ),
}
IT_TOUCHES = (
    ("webinar", "Attended webinar 'Securing Your Sales Stack' (47 min)"),
    ("webinar", "Registered for webinar 'Securing Your Sales Stack', did not attend"),
    ("download", "Downloaded 'Northwind Security & Compliance Overview' (SOC 2 summary)"),
    ("site_visit", "Visited Trust Center page (SSO and SCIM)"),
    ("email_open", "Opened email 'Your security questionnaire, pre-filled'"),
)


class _Generator:
    """Deterministic fictional accounts, people and phone numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_numbers = {CALLER_ID, IT_CALLER_ID}  # never give a lead our own number
        self.used_names: set[tuple[str, str, str]] = set()  # (first, last, account name)
        self.accounts: list[Account] = []
        self._account_names: set[str] = set()

    def weighted(self, choices):
        """Pick from (value..., weight) tuples; returns the value, or the tuple of values."""
        values = [item[0] if len(item) == 2 else item[:-1] for item in choices]
        return self.rng.choices(values, weights=[item[-1] for item in choices])[0]

    def phone(self) -> tuple[str, str]:
        """A unique fictional number (E.164) and its state."""
        codes = list(AREA_CODES)
        weights = [AREA_CODES[code][1] for code in codes]
        while True:
            code = self.rng.choices(codes, weights=weights)[0]
            raw = f"({code}) 555-01{self.rng.randrange(100):02d}"
            phone = normalise_phone(raw)
            if phone not in self.used_numbers:
                self.used_numbers.add(phone)
                return phone, AREA_CODES[code][0]

    def account(self) -> Account:
        if len(self._account_names) >= len(COMPANY_STEMS) * len(COMPANY_KINDS):  # every name taken
            return self.rng.choice(self.accounts)
        while True:
            stem = self.rng.choice(COMPANY_STEMS)
            kind, industry = self.rng.choice(COMPANY_KINDS)
            name = f"{stem} {kind}"
            if name not in self._account_names:
                break
        self._account_names.add(name)
        domain = re.sub(r"[^a-z0-9]", "", (stem + kind.split()[0]).lower()) + self.rng.choice((".com", ".com", ".io", ".co"))
        employees = self.rng.choice((60, 85, 120, 150, 200, 240, 310, 400, 480, 650, 800, 1100, 1500))
        account = Account(name=name, industry=industry, employees=employees, website=f"https://www.{domain}")
        self.accounts.append(account)
        return account

    def account_for_lead(self) -> Account:
        """Mostly new companies; about a third of leads are a second contact at a known one."""
        if self.accounts and self.rng.random() < 0.33:
            return self.rng.choice(self.accounts)
        return self.account()

    def person(self, account: Account) -> tuple[str, str, str]:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if (first, last, account.name) not in self.used_names:
                self.used_names.add((first, last, account.name))
                domain = account.website.removeprefix("https://www.")
                return first, last, f"{first.lower()}.{last.lower()}@{domain}"

    def lead(self, campaign: Campaign, titles, source: str, account: Account | None = None) -> dict:
        """A lead's contact data, for console.leads.services.create_lead (its zones come from number and state)."""
        account = account or self.account_for_lead()
        first, last, email = self.person(account)
        title, buying_role = self.weighted(titles)
        phone, state = self.phone()
        return dict(campaign=campaign, account=account, first_name=first, last_name=last, title=title,
                    buying_role=buying_role, email=email, phone=phone, state=state, source=source,
                    inbound=self.rng.random() < 0.12)

    def touches(self, pool: list[tuple[str, str]], now) -> list[Touch]:
        count = self.rng.choice((0, 1, 1, 2, 2, 3, 4))
        return [
            Touch(kind=kind, description=description,
                  occurred_at=now - timedelta(days=self.rng.randrange(60), minutes=self.rng.randrange(24 * 60)))
            for kind, description in self.rng.sample(pool, min(count, len(pool)))
        ]


# The main campaign's own lead fields, and the values its leads have (drawn from their own random sequence, so the
# leads themselves are the same with or without them).
MAIN_LEAD_FIELDS = [{"key": "crm_in_use", "label": "CRM in use"}, {"key": "sales_team_size", "label": "Sales team size"}]
CRMS = ("Salesforce", "HubSpot", "Microsoft Dynamics", "Pipedrive", "Zoho", "spreadsheets")
TEAM_SIZES = ("5-10", "11-25", "26-50", "51-100", "100+")


def _main_field_values(rng: random.Random) -> dict:
    """Most leads of the main campaign have its own fields filled in."""
    if rng.random() < 0.2:
        return {}
    return {"crm_in_use": rng.choice(CRMS), "sales_team_size": rng.choice(TEAM_SIZES)}


def _campaigns(today: date, guides: dict) -> tuple[Campaign, Campaign]:
    main = Campaign(
        name=MAIN_CAMPAIGN,
        source="Webinar + paid search",
        message=(
            "Northwind Revenue Cloud shows mid-market sales leaders their whole pipeline in one place, "
            "so forecasts stop living in spreadsheets. Offer: a free 30-minute pipeline assessment."
        ),
        start_date=today - timedelta(days=history.HISTORY_DAYS),
        end_date=today + timedelta(days=39),
        active=True,
        priority=10,
        call_guide=guides.get("default-b2b"),
        caller_id=CALLER_ID,
        calling_start=time(8, 0),
        calling_end=time(21, 0),
        max_attempts=6,
        min_retry_minutes=60,
        expected_leads=250,
        custom_fields=MAIN_LEAD_FIELDS,
    )
    it = Campaign(
        name=IT_CAMPAIGN,
        source="Webinar",
        message=(
            "Follow-up to the 'Securing Your Sales Stack' webinar: offer the Northwind security package "
            "(SOC 2 Type II report, SSO/SCIM guide) and a technical call with a solutions engineer."
        ),
        start_date=today - timedelta(days=28),
        end_date=today + timedelta(days=23),
        active=True,
        priority=5,
        call_guide=guides.get("it-director"),
        caller_id=IT_CALLER_ID,
        calling_start=time(9, 0),
        calling_end=time(18, 0),
        max_attempts=4,
        min_retry_minutes=120,
        expected_leads=60,
    )
    return main, it


def _other_campaigns(now, guides: dict) -> dict[str, Campaign]:
    """A campaign of every other status, so the campaign list and calendar show them all: one starting in a few
    days, one paused, one ended early, one archived."""
    today = now.date()
    guide = guides.get("default-b2b")
    return {
        "scheduled": Campaign(
            name=SCHEDULED_CAMPAIGN, source="Trade show", priority=8, active=True, call_guide=guide,
            message="Northwind Revenue Cloud Enterprise: multi-region forecasting and territory planning. "
                    "Offer: an executive briefing with our VP of Customer Success.",
            start_date=today + timedelta(days=12), end_date=today + timedelta(days=54),
            calling_start=time(9, 0), calling_end=time(18, 0), calling_days="12345", expected_leads=400),
        "paused": Campaign(
            name=PAUSED_CAMPAIGN, source="Partner referral", priority=3, active=False, call_guide=guide,
            message="Introduced by one of our implementation partners: offer a joint call with the partner.",
            start_date=today - timedelta(days=3), end_date=today + timedelta(days=40),
            calling_start=time(9, 0), calling_end=time(17, 0), calling_days="12345", expected_leads=80),
        "ended": Campaign(
            name=ENDED_CAMPAIGN, source="Trade show", priority=6, active=False, call_guide=guide,
            message="Follow-up to SaaStr booth visits: offer the pipeline assessment and the show discount.",
            start_date=today - timedelta(days=75), end_date=today - timedelta(days=20),
            ended_at=now - timedelta(days=24), calling_start=time(9, 0), calling_end=time(19, 0),
            calling_days="12345", expected_leads=300),
        "archived": Campaign(
            name=ARCHIVED_CAMPAIGN, source="Webinar", priority=2, active=False, call_guide=guide,
            message="Summer webinar attendees: offer the recording and a follow-up call.",
            start_date=today - timedelta(days=150), end_date=today - timedelta(days=95),
            ended_at=now - timedelta(days=95), archived_at=now - timedelta(days=60), expected_leads=120),
    }


@click.group(help="Demo data.")
def demo():
    pass


@demo.command("seed")
@with_appcontext
def seed():
    """Fill an empty database with demo users, call guides, campaigns and leads."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("Database already has data; demo seed skipped.")
        _print_logins_if_present()
        return

    rng = random.Random(RANDOM_SEED)
    gen = _Generator(rng)
    now = utcnow()

    with writers.write_transaction(db.session):  # the whole demo, or nothing
        users = {email: create_user(email, full_name, role, DEMO_PASSWORD) for email, full_name, role in DEMO_USERS}
        guides = {guide.slug: guide for guide, _version in guide_services.sync_directory()}
        guide_count = len(guides)
        main, it = _campaigns(now.date(), guides)
        others = _other_campaigns(now, guides)
        db.session.add_all([main, it, *others.values()])
        db.session.flush()

        main_pool = [(kind, description) for kind, descriptions in TOUCHES.items() for description in descriptions]
        leads: list[Lead] = []
        field_values = random.Random(RANDOM_SEED + 1)
        for _ in range(MAIN_CAMPAIGN_LEADS):
            fields = gen.lead(main, SALES_TITLES, gen.weighted(MAIN_SOURCES))
            leads.append(leads_writer.create_lead(**fields, touches=gen.touches(main_pool, now),
                                                  custom_fields=_main_field_values(field_values)))
        for _ in range(IT_CAMPAIGN_LEADS):
            fields = gen.lead(it, IT_TITLES, "webinar")
            leads.append(leads_writer.create_lead(**fields, touches=gen.touches(list(IT_TOUCHES), now)))

        # Two leads the queue must never offer: one opted out everywhere, one only for this campaign.
        opted_out, asked_not_to_call = rng.sample(leads[:MAIN_CAMPAIGN_LEADS], 2)
        admin_id = users["admin@example.com"].id
        leads_writer.add_to_do_not_call(opted_out.phone, reason="Opted out via email preference centre",
                                        added_by_id=admin_id, source=DoNotCallSource.MANUAL)
        leads_writer.add_to_do_not_call(asked_not_to_call.phone, campaign_id=main.id,
                                        reason="Asked not to be called again about this campaign",
                                        added_by_id=admin_id, source=DoNotCallSource.MANUAL)

        # The sales members are one team, Sam its manager (the team view, escalations), under a default SLA.
        sla_services.save_sales_team(users["admin@example.com"], users["sales@example.com"], "East", True)
        sla_services.save_sales_team(users["admin@example.com"], users["sales2@example.com"], "East", False)
        sla_services.save_policy(users["admin@example.com"], None, sla_services.PolicyValues(
            requires_review=False, handover_minutes=240, accept_minutes=240, first_contact_minutes=480,
            amber_percent=75, time_zone="America/New_York", day_start=time(9), day_end=time(17),
            work_days=[1, 2, 3, 4, 5], holiday_country="US"))

        # The ended campaign's leads: never served again, whatever their state.
        for _ in range(ENDED_CAMPAIGN_LEADS):
            leads.append(leads_writer.create_lead(**gen.lead(others["ended"], SALES_TITLES, "trade show")))

        handed_over = _demo_handoffs(main, users, gen, now)
        past = history.seed_history([
            history.CampaignHistory(main, SALES_TITLES, MAIN_SOURCES, 9),
            history.CampaignHistory(it, IT_TITLES, (("webinar", 1),), 5),
            history.CampaignHistory(others["ended"], SALES_TITLES, (("trade show", 1),), 8)], users, gen, now)

    # A list loaded the way marketing loads one, so Imports, a campaign's Lists and a lead's timeline show one. After
    # the seed's transaction: the import reads its stored file on connections of its own.
    _import_demo_list(it.id, users["marketing@example.com"].id)

    _print_logins()
    click.echo(f"Seeded {len(users)} users, {2 + len(others)} campaigns, {len(leads) + handed_over} leads"
               f" ({handed_over} handed to sales), {guide_count} call guides, 1 imported list, and"
               f" {history.HISTORY_DAYS // 7} weeks of history: {past.leads} leads, {past.calls} calls,"
               f" {past.handoffs} hand-offs")


# Leads already qualified and handed to sales, at each step of the hand-off loop: (hours since the agent qualified
# it, the agent, the answers, how far sales took it). Their clocks run in the default SLA's business hours.
DEMO_HANDOFFS = (
    (1, "agent@example.com", ("confirmed", "decision_maker", "urgent", "under_3_months"), "new"),
    (26, "agent2@example.com", ("planned", "decision_maker", "urgent", "3_to_6_months"), "new"),
    (30, "agent@example.com", ("confirmed", "influencer", "urgent", "under_3_months"), "accepted"),
    (75, "agent2@example.com", ("confirmed", "decision_maker", "some", "under_3_months"), "contacted"),
    (170, "agent@example.com", ("confirmed", "decision_maker", "urgent", "under_3_months"), "opportunity"),
    (320, "agent@example.com", ("confirmed", "decision_maker", "urgent", "3_to_6_months"), "won"),
    (260, "agent2@example.com", ("planned", "influencer", "urgent", "under_3_months"), "lost"),
    (50, "agent@example.com", ("confirmed", "decision_maker", "urgent", "under_3_months"), "bad_data"),
    (120, "agent2@example.com", ("planned", "decision_maker", "some", "6_to_12_months"), "not_ready"),
)
ANSWER_DETAILS = {"budget": "Approved in this year's plan", "authority": "Signs off tools for the sales team",
                  "need": "Forecast lives in spreadsheets today", "timeline": "Wants it live before the next quarter"}


def _demo_handoffs(campaign: Campaign, users: dict, gen: "_Generator", now) -> int:
    """Qualified leads of the main campaign handed to sales, each with its call and answers, then taken as far as
    DEMO_HANDOFFS says through the services sales uses (accept, reject, progress); the times are moved back to
    when each step happened, so the inbox, the team view and their clocks show every state. Joins the seed's
    transaction."""
    model = current_model(campaign.id)
    for hours, agent_email, values, step in DEMO_HANDOFFS:
        agent, at = users[agent_email], now - timedelta(hours=hours)
        lead = leads_writer.create_lead(**gen.lead(campaign, SALES_TITLES, "webinar"), stage=Stage.MQL,
                                        queue_state=QueueState.CLOSED, attempts=1, last_called_at=at)
        db.session.flush()
        call = Call(lead_id=lead.id, campaign_id=campaign.id, agent_id=agent.id, status=CallStatus.COMPLETED,
                    disposition="qualified", next_action=NextAction.HANDOFF, started_at=at - timedelta(minutes=11),
                    ended_at=at, guide_version_id=campaign.call_guide.published_version_id if campaign.call_guide
                    else None, notes=f"{lead.first_name} wants a demo with their CRO; send the ROI sheet first.")
        db.session.add(call)
        db.session.flush()
        db.session.add(history.line_leg(call, "qualified", call.started_at, call.ended_at))
        answered = dict(zip(("budget", "authority", "need", "timeline"), values))
        rows = {key: QualificationAnswer(lead_id=lead.id, criterion=key, value=value, detail=ANSWER_DETAILS[key],
                                         call_id=call.id, answered_by_id=agent.id, answered_at=at)
                for key, value in answered.items()}
        db.session.add_all(rows.values())
        score = scoring.score(answered, model, (), at, source=lead.source)
        points, band = scoring.stored_score(score)
        leads_writer.set_score(lead, points, band, score.model_version)
        handoff = handoffs.create_handoff(lead, call, agent, score,
                                          scoring.explain_answers(answered, model, source=lead.source), rows,
                                          next_step=NextStep.MEETING, next_step_at=at + timedelta(days=3),
                                          next_step_note="Demo with the CRO; bring the ROI sheet.")
        _take_demo_handoff(handoff, step, now)
        _date_demo_handoff(handoff, at, now)
    return len(DEMO_HANDOFFS)


def _take_demo_handoff(handoff, step: str, now) -> None:
    """Sales' steps on a demo hand-off, through the services sales uses (their times are set afterwards)."""
    member = handoff.assigned_to
    if step == "new":
        return
    if step == "bad_data":
        handoffs.reject(handoff, member, handoffs.Rejection(
            RejectionKind.CLERICAL, "The direct line is the switchboard: ask for the mobile."))
        return
    if step == "not_ready":
        handoffs.reject(handoff, member, handoffs.Rejection(
            RejectionKind.DEFINITIONAL, "Budget only opens next fiscal year.",
            recall_on=now.date() + timedelta(days=90)))
        return
    handoffs.accept(handoff, member)
    if step == "accepted":
        return
    handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.FIRST_CONTACT, contact_kind=ContactKind.CALL))
    if step in ("opportunity", "won"):
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(
            Step.OPPORTUNITY, amount_cents=2_400_000, on=now.date() + timedelta(days=30)))
    if step == "won":
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.WON, amount_cents=2_150_000,
                                                                         on=now.date()))
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.RATING, rating=5,
                                                                         note="Exactly the lead we want."))
    if step == "lost":
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(
            Step.LOST, lost_reason=LostReason.COMPETITOR, note="Chose the incumbent's bundle."))
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.RATING, rating=3,
                                                                         note="Good fit, late in their cycle."))


def _date_demo_handoff(handoff, at, now) -> None:
    """Move a demo hand-off's recorded times back to when each step happened: qualified `at`, decided two hours
    later, first contact three hours after that, the deal's steps later still (never after now)."""
    def later(hours: float):
        return min(at + timedelta(hours=hours), now)

    handoff.created_at = handoff.released_at = at
    moves = {"decided_at": 2, "first_contact_at": 5, "opportunity_at": 48, "outcome_at": 120, "rated_at": 121,
             "feedback_at": 2}
    for column, hours in moves.items():
        if getattr(handoff, column) is not None:
            setattr(handoff, column, later(hours))
    db.session.flush()


DEMO_LIST = """First Name,Last Name,Job Title,Company,Website,Email,Phone,State,Seats
Priya,Raman,IT Director,Bluebird Analytics,bluebirdanalytics.example,priya.raman@bluebirdanalytics.example,(617) 555-0134,MA,120
Tom,Becker,CIO,Granite Health,granitehealth.example,tom.becker@granitehealth.example,312.555.0177,,800
Lena,Okafor,Head of IT,Cedar Logistics,cedarlogistics.example,lena.okafor@cedarlogistics.example,+1 415 555 0122,CA,60
Marco,Silva,IT Manager,Harbor Freight Lines,harborfreight.example,marco.silva@harborfreight.example,555-0199,NY,45
Dana,Kim,Security Lead,Granite Health,granitehealth.example,dana.kim@granitehealth.example,(312) 555-0177,IL,800
Ravi,Patel,IT Director,Summit Robotics,summitrobotics.example,ravi.patel@summitrobotics,(512) 555-0108,TX,200
Elena,Popescu,CTO,Northwind Media,northwindmedia.example,elena.popescu@northwindmedia.example,(206) 555-0163,WA,90
"""


def _import_demo_list(campaign_id: int, marketer_id: int) -> None:
    import io

    from console.imports import services as imports

    campaign, marketer = db.session.get(Campaign, campaign_id), db.session.get(User, marketer_id)
    lead_list = imports.upload(campaign, io.BytesIO(DEMO_LIST.encode()), "it-security-webinar-attendees.csv",
                               source_name="Webinar attendees", duplicates="skip", actor=marketer)
    columns = imports.preview(lead_list).columns
    imports.start(lead_list, imports.suggested_mapping(lead_list, columns), marketer, run_in_worker=False)
    imports.run(lead_list.id, processes=0)


def _print_logins() -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    click.echo(f"  {'email':<24} {'role':<16} name")
    for email, full_name, role in DEMO_USERS:
        click.echo(f"  {email:<24} {Role.LABELS[role]:<16} {full_name}")


def _print_logins_if_present() -> None:
    emails = [email for email, _name, _role in DEMO_USERS]
    if db.session.scalar(select(User.id).where(User.email.in_(emails)).limit(1)) is None:
        click.echo("No demo users in this database.")
        return
    _print_logins()


@demo.command("logins")
@with_appcontext
def logins():
    """Print the demo logins, if the demo users exist."""
    _print_logins_if_present()
