"""Extensions are found by walking a package; one that fails to load is logged, and the rest run."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from cafe_harness import make_guild, make_settings, start_bot

from bot.bot import extension_names


def test_every_public_module_of_the_cogs_package_is_an_extension() -> None:
    names = extension_names()
    assert "cogs.cafe" in names and "cogs.errors" in names
    assert not [n for n in names if n.split(".")[-1].startswith("_")]


async def test_a_broken_extension_is_logged_and_the_others_still_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "extra_cogs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_private.py").write_text("raise RuntimeError('a private helper is never loaded')\n")
    (package / "broken.py").write_text("raise RuntimeError('a typo in a cog')\n")
    (package / "working.py").write_text(
        "from discord.ext import commands\n\n"
        "class Working(commands.Cog):\n    pass\n\n"
        "async def setup(bot):\n    await bot.add_cog(Working())\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sim, _ = make_guild()
    bot = await start_bot(sim, make_settings(tmp_path))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.bot"):
            await bot.load_extensions("extra_cogs")
        assert "Working" in bot.cogs
        assert set(bot.failed_extensions) == {"extra_cogs.broken"}
        assert "a typo in a cog" in bot.failed_extensions["extra_cogs.broken"]
        assert any("extra_cogs.broken" in r.getMessage() for r in caplog.records)
        assert "Cafe" in bot.cogs, "the real cogs were loaded at start-up as usual"
    finally:
        await sim.disconnect(bot)
        sys.modules.pop("extra_cogs", None)
