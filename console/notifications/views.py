"""The bell in the top bar, the notifications page, and marking notifications read."""
from flask import Blueprint

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")
