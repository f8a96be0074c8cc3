"""The starter colorizer: a small generator trained here on every real photograph the allowed
sources hold (`make starter`; MODEL_CARD.md beside the weights says how, on what, and how well).

It ships as package data so that every surface (the demo, colorize, video, export, evaluate)
can start from a colorizer that beats leaving the photo grey, as the paper starts from a
trained colorizer. `generator.init: "starter"` in a config names it.
"""

from __future__ import annotations

import os

__all__ = ["STARTER", "STARTER_DIR", "resolve_init"]

STARTER = "starter"
STARTER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "starter")


def resolve_init(init: str | None) -> str | None:
    """A generator init as a path: "starter" is the shipped starter's model directory."""
    if init != STARTER:
        return init
    if not os.path.exists(os.path.join(STARTER_DIR, "generator.keras")):
        raise FileNotFoundError(f"the starter colorizer is not in this install ({STARTER_DIR}/generator.keras is "
                                "missing); `make starter` trains it")
    return STARTER_DIR
