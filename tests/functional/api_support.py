"""What the API's tests share: a token for a role's user, and its Authorization header."""
import pytest

from console.api import services


@pytest.fixture
def bearer(app_context, users):
    """bearer(role) → the Authorization header of a new token for that role's user."""
    def make(role: str, name: str | None = None, days: int | None = None) -> dict:
        _token, secret = services.create_token(f"{role}@example.com", name or f"{role} token", days, None)
        return {"Authorization": f"Bearer {secret}"}

    return make


def lead_body(campaign_id: int, external_id: str = "crm-1", **overrides) -> dict:
    body = {"campaign_id": campaign_id, "external_id": external_id, "phone": "(212) 555-0142",
            "first_name": "Ada", "last_name": "Byron", "company": "Analytical Engines", "email": "ada@example.com",
            "title": "CTO", "source": "web form"}
    body.update(overrides)
    return body
