"""Dialing from the call screen and Twilio's webhooks."""
from flask import Blueprint

blueprint = Blueprint("telephony", __name__)
