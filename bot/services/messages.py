"""The bot's own words, rendered from jinja2 templates in `prompts/messages/`.

Templates live beside the plans so organisers can reword the bot without touching code; they
render sandboxed with strict undefined variables, so a typo fails loudly in tests, not mid-café.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

import prompts

#: Always the package's own templates (never an organiser's plans folder), installed or not.
MESSAGES_DIR: Path = prompts.MESSAGES_DIR


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(MESSAGES_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


def message(name: str, **context: object) -> str:
    """Render `prompts/messages/<name>.j2`; Discord caps messages at 2000 characters."""
    text = _environment().get_template(f"{name}.j2").render(**context).strip()
    return text if len(text) <= 2000 else text[:1990].rstrip() + " …"
