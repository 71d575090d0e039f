"""Access table of the lead definition's pages (merged into test_access.py): the definition in force is everyone's;
proposals, votes, the history and comparisons are the two sides' (sales, marketing) and admins'; the approval
counts are the admin's. Changing a proposal is its proposer's alone: anyone else is sent back to it (303)."""
from console.auth.models import Role
from console.scoring import services
from console.scoring.rules import SHIPPED_GLOSSARY, SHIPPED_MODEL, model_to_dict

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
ANYONE = {T, S, M, A}
SIDES = {S, M, A}

ROUTES = {
    "scoring.definition": ("GET", "/definition/", ANYONE),
    "scoring.history": ("GET", "/definition/versions", SIDES),
    "scoring.compare": ("GET", "/definition/compare?from_version=1&to_version={version_id}", SIDES),
    "scoring.proposal": ("GET", "/definition/versions/{version_id}", SIDES),
    "scoring.proposal_status": ("GET", "/definition/versions/{version_id}/status", SIDES),
    "scoring.vote": ("POST", "/definition/versions/{version_id}/vote", SIDES),
    "scoring.submit_proposal": ("POST", "/definition/versions/{version_id}/submit", SIDES),
    "scoring.rebase_proposal": ("POST", "/definition/versions/{version_id}/rebase", SIDES),
    "scoring.new_proposal": ("GET", "/definition/proposals/new", SIDES),
    "scoring.create_proposal": ("POST", "/definition/proposals/new", SIDES),
    "scoring.edit_proposal": ("GET", "/definition/versions/{version_id}/edit", SIDES),
    "scoring.revise_proposal": ("POST", "/definition/versions/{version_id}/edit", SIDES),
    "scoring.approvals": ("GET", "/definition/approvals", {A}),
    "scoring.save_approvals": ("POST", "/definition/approvals", {A}),
}

POST_BODIES = {
    "scoring.vote": {"decision": "approve", "side": "sales"},
    "scoring.create_proposal": {"note": "Budget matters more", "hot_from": "70", "warm_from": "40",
                                "qualified_from": "50"},
    "scoring.revise_proposal": {"note": "Budget matters more", "hot_from": "70", "warm_from": "40",
                                "qualified_from": "50"},
    "scoring.save_approvals": {"sales": "2", "marketing": "1"},
}


def extend_world(world, users):
    """A marketing manager's draft: open, so that every page about a proposal has something to show."""
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][0]["options"][0]["points"] = 30
    draft = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY,
                             note="Budget matters more", submit=False)
    world["version_id"] = draft.id
