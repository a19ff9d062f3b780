"""Blether's shipped café plans (``<plan-id>/plan.yaml``) and the bot's own words (``messages/*.j2``).

This folder is a package only so that an installed Blether carries it: pyproject.toml lists
its files as package data, and the code finds them through the import system. Walking up
from a source file only works in a checkout; a non-editable install has no checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final


def _folder() -> Path:
    """This package's folder on disk. Blether reads plans with ordinary file operations, so a
    zipped install, where there is no folder, is refused at import rather than failing later."""
    root = resources.files(__name__)
    if not isinstance(root, Path):
        raise ImportError(f"Blether's prompts must be installed as files on disk, not inside {root}")
    return root


#: The shipped plans: the default place ``blether rehearse``, ``plans check`` and ``run`` look.
PLANS_DIR: Final = _folder()
#: The message templates; always these, whatever plans folder an organiser uses.
MESSAGES_DIR: Final = PLANS_DIR / "messages"
