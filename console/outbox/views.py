"""The admin's view of the outbox (every message and job, retry and discard) and of the CRM endpoints."""
from flask import Blueprint

blueprint = Blueprint("outbox", __name__, url_prefix="/admin")
