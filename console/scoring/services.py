"""The scoring model in force: what every new score is made with.

Today the model is the one the console ships with (scoring.rules.SHIPPED_MODEL,
version 1); the versioned, jointly approved lead definition will be read here.
Callers ask for it once and pass it to every pure function that scores.
"""
from __future__ import annotations

from console.scoring.rules import SHIPPED_MODEL, ScoringModel


def current_model(campaign_id: int | None = None) -> ScoringModel:
    """The model new scores of this campaign's leads are made with."""
    return SHIPPED_MODEL


def model_version(version: int) -> ScoringModel | None:
    """The model a stored score was made with, if it is still known."""
    return SHIPPED_MODEL if version == SHIPPED_MODEL.version else None
