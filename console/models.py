"""Imports every area's models so that Alembic and the tests see the whole schema."""
from console.api.models import ApiToken, IdempotencyKey, RateWindow  # noqa: F401
from console.audit.models import AuditEvent  # noqa: F401
from console.auth.models import PasswordToken, User  # noqa: F401
from console.calls.models import Call, QualificationAnswer  # noqa: F401
from console.campaigns.models import Campaign  # noqa: F401
from console.compliance.models import DoNotCallEntry  # noqa: F401
from console.guides.models import CallGuide, GuideVersion  # noqa: F401
from console.handoffs.models import Handoff, RoutingCursor, RoutingRule  # noqa: F401
from console.imports.models import ImportFileChunk, ImportMapping, ImportRowIssue  # noqa: F401
from console.leads.models import Account, Lead, LeadList, Touch  # noqa: F401
from console.notifications.models import Notification  # noqa: F401
from console.outbox.models import OutboxEntry, WebhookEndpoint  # noqa: F401
from console.reports.models import AlignmentDecision, AlignmentMeeting  # noqa: F401
from console.scoring.models import ApprovalSettings, DefinitionVersion, DefinitionVote  # noqa: F401
import console.telephony.models  # noqa: F401,E402
import console.reports.models  # noqa: F401,E402  (the indexes the reports read by)
