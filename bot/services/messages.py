"""The bot's own words, rendered from jinja2 templates in `prompts/messages/`.

Templates live beside the plans so organisers can reword the bot without touching code; they
render sandboxed with strict undefined variables, so a typo fails loudly in tests, not mid-café.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined

import prompts
from bot.core import templating

#: Always the package's own templates (never an organiser's plans folder), installed or not.
MESSAGES_DIR: Path = prompts.MESSAGES_DIR


@lru_cache(maxsize=1)
def _environment() -> templating.BoundedSandbox:
    """Organisers may reword these files, so they get the same bounded sandbox as plans."""
    return templating.sandbox(
        loader=FileSystemLoader(str(MESSAGES_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _fit(text: str) -> str:
    """Discord caps messages at 2000 characters."""
    text = text.strip()
    return text if len(text) <= 2000 else text[:1990].rstrip() + " …"


def message(name: str, **context: object) -> str:
    """Render `prompts/messages/<name>.j2` (reads the file the first time: prefer :func:`message_async`)."""
    return _fit(templating.render(_environment().get_template(f"{name}.j2"), context))


async def message_async(name: str, **context: object) -> str:
    """:func:`message` in a worker thread, so loading and rendering never stall the event loop."""
    return await asyncio.to_thread(message, name, **context)
