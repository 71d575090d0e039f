"""Access table of the reports (merged into test_access.py): every campaign side by side, one campaign's report,
the agent view and their CSV exports are marketing's (and the admin's)."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "reports.campaigns": ("GET", "/reports/", {M, A}),
    "reports.campaigns_csv": ("GET", "/reports/campaigns.csv", {M, A}),
    "reports.campaign": ("GET", "/reports/campaigns/{campaign_id}", {M, A}),
    "reports.campaign_csv": ("GET", "/reports/campaigns/{campaign_id}/funnel.csv", {M, A}),
    "reports.agents": ("GET", "/reports/agents", {M, A}),
    "reports.agents_csv": ("GET", "/reports/agents.csv", {M, A}),
}
