"""Access table of the imports area (merged into test_access.py): marketing's, and so the admins'."""
import io

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.extensions import db
from console.imports import services

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "imports.index": ("GET", "/imports/", {M, A}),
    "imports.campaign_lists": ("GET", "/campaigns/{campaign_id}/lists", {M, A}),
    "imports.new": ("GET", "/imports/new", {M, A}),
    "imports.upload": ("POST", "/imports/new", {M, A}),
    "imports.mapping": ("GET", "/imports/{list_id}/mapping", {M, A}),
    "imports.start": ("POST", "/imports/{list_id}/mapping", {M, A}),
    "imports.show": ("GET", "/imports/{list_id}", {M, A}),
    "imports.report": ("GET", "/imports/{list_id}/report.csv", {M, A}),
    "imports.withdraw": ("POST", "/imports/{list_id}/withdraw", {M, A}),
}

POST_BODIES = {
    "imports.upload": {"campaign_id": "1", "source_name": "Badge scans", "duplicates": "skip"},
    "imports.start": {"columns-0": "full_name", "columns-1": "company", "columns-2": "phone"},
}


def extend_world(world, users):
    """A list uploaded and imported into the world's campaign."""
    campaign = db.session.get(Campaign, world["campaign_id"])
    lead_list = services.upload(campaign, io.BytesIO(b"Name,Company,Phone\nAnn Lee,Acme,(212) 555-0199\n"),
                                "world.csv", source_name="World list", duplicates="skip", actor=users[M])
    services.start(lead_list, {"full_name": "Name", "company": "Company", "phone": "Phone"}, users[M],
                   run_in_worker=False)
    services.run(lead_list.id, processes=0)
    world["list_id"] = lead_list.id
