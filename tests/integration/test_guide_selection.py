"""Which guide a call uses: the most specific published guide for the lead's campaign and buying role."""
import pytest

from console.extensions import db
from console.guides import services
from console.guides.models import CallGuide


@pytest.fixture
def make_guide(app_context, default_guide):
    """A published guide (a copy of the default one) for a persona and/or a named campaign."""

    def make(slug: str, persona: str = "", campaign: str = "", published: bool = True) -> CallGuide:
        content = dict(default_guide.published_version.content, name=slug, persona=persona, campaign=campaign)
        guide = CallGuide(slug=slug, name=slug)
        db.session.add(guide)
        db.session.flush()
        services.add_version(guide, content, publish=published)
        db.session.commit()
        return guide

    return make


def chosen(lead) -> str | None:
    version = services.guide_version_for(lead)
    return version.guide.slug if version else None


def test_without_variants_a_lead_gets_its_campaigns_guide(campaign, make_lead):
    assert chosen(make_lead(campaign, buying_role="champion")) == "default-b2b"


def test_a_persona_variant_beats_the_campaigns_own_guide(campaign, make_lead, make_guide):
    make_guide("gatekeepers", persona="gatekeeper")
    assert chosen(make_lead(campaign, buying_role="gatekeeper")) == "gatekeepers"
    assert chosen(make_lead(campaign, buying_role="champion")) == "default-b2b"


def test_a_variant_for_this_campaign_and_persona_beats_a_general_persona_variant(campaign, make_lead, make_guide):
    make_guide("gatekeepers", persona="gatekeeper")
    make_guide("main-gatekeepers", persona="gatekeeper", campaign="Main campaign")
    assert chosen(make_lead(campaign, buying_role="gatekeeper")) == "main-gatekeepers"


def test_a_variant_for_another_campaign_does_not_apply(campaign, make_campaign, make_lead, make_guide):
    make_guide("spring-gatekeepers", persona="gatekeeper", campaign="Spring push")
    assert chosen(make_lead(campaign, buying_role="gatekeeper")) == "default-b2b"
    spring = make_campaign("Spring push")
    assert chosen(make_lead(spring, buying_role="gatekeeper")) == "spring-gatekeepers"


def test_a_guide_naming_the_campaign_competes_with_the_campaigns_choice_which_wins_a_tie(
        campaign, make_lead, make_guide):
    make_guide("main-only", campaign="Main campaign")
    assert chosen(make_lead(campaign)) == "default-b2b"
    campaign.call_guide = None
    db.session.commit()
    assert chosen(make_lead(campaign)) == "main-only"


def test_buying_roles_match_whatever_their_case_and_spacing(campaign, make_lead, make_guide):
    make_guide("deciders", persona="decision maker")
    assert chosen(make_lead(campaign, buying_role="Decision_Maker ")) == "deciders"


def test_an_unpublished_guide_is_never_served(campaign, make_lead, make_guide):
    make_guide("gatekeepers", persona="gatekeeper", published=False)
    assert chosen(make_lead(campaign, buying_role="gatekeeper")) == "default-b2b"


def test_a_campaign_without_a_guide_gets_none_unless_a_variant_fits(make_campaign, make_lead, make_guide):
    bare = make_campaign("No guide", call_guide=None)
    assert chosen(make_lead(bare, buying_role="champion")) is None
    make_guide("gatekeepers", persona="gatekeeper")
    assert chosen(make_lead(bare, buying_role="gatekeeper")) == "gatekeepers"


def test_the_served_version_is_the_published_one_not_a_newer_draft(campaign, make_lead, default_guide, make_user):
    content = dict(default_guide.published_version.content, opening="A draft opening.")
    services.save_draft(default_guide, content, author=make_user("sales"), base_number=1)
    db.session.commit()
    assert services.guide_version_for(make_lead(campaign)).number == 1
