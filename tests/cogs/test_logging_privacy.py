"""BLETHER_LOG_LEVEL=DEBUG must not put anyone's words, names or ids in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from cafe_harness import Cafe

from bot.cli import BLETHER_LOGGERS, LIBRARY_LEVELS, configure_logging


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, at_least: int = logging.NOTSET) -> str:
        lines = []
        for record in self.records:
            if record.levelno >= at_least:
                lines.append(record.getMessage())
                if record.exc_info:
                    lines.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(lines)


@pytest.fixture
def debug_logs() -> Iterator[Collect]:
    """Blether configured as `blether run` does at DEBUG; the global logging state put back after."""
    names = ["", *BLETHER_LOGGERS, *LIBRARY_LEVELS]
    levels = {name: logging.getLogger(name).level for name in names}
    root = logging.getLogger()
    handlers = list(root.handlers)
    configure_logging("DEBUG")
    collect = Collect()
    root.addHandler(collect)
    yield collect
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_cafe_at_debug_logs_no_words_names_or_ids(cafe: Cafe, debug_logs: Collect) -> None:
    session_id = await cafe.schedule()
    for person in cafe.people[:2]:
        await cafe.join(session_id, person, "record")
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    rooms = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]
    words = ["my private story about the ward", "the nurse who listened to me"]
    for person, said in zip(cafe.people[:2], words, strict=True):
        message = await cafe.sim.say(cafe.bot, person, rooms[0], said)
        await cafe.sim.edit(cafe.bot, message.id, said + " (edited)")
    # discord.py logs every gateway event it receives at DEBUG, as the websocket hands it over;
    # the simulated Discord feeds discord.py's parsers directly, so send one the same way.
    logging.getLogger("discord.gateway").debug("For Shard ID %s: WebSocket Event: %s", None,
                                               {"t": "MESSAGE_CREATE", "d": {"content": words[0]}})

    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)  # Blether's own debug logging is on
    everything = debug_logs.text()
    for said in words:
        assert said not in everything
    for person in cafe.people[:2]:
        assert person.name not in everything and person.display_name not in everything
    operator_level = debug_logs.text(at_least=logging.INFO)
    for person in cafe.people[:2]:
        assert str(person.id) not in operator_level


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_library_loggers_never_go_below_their_ceiling(level: str, debug_logs: Collect) -> None:
    configure_logging(level)
    chosen = logging.getLevelName(level)
    assert logging.getLogger("bot").level == chosen and logging.getLogger("cogs").level == chosen
    for name, most in LIBRARY_LEVELS.items():
        assert logging.getLogger(name).getEffectiveLevel() == max(most, chosen), name
    assert not logging.getLogger("discord.gateway").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.INFO)
