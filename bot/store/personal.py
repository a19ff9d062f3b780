"""The personal-data contract: every repository that holds something about a person answers two
questions, "erase this person" and "show this person their rows" (Red-DiscordBot's
`red_delete_data_for_user` / `red_get_data_for_user`).

A repository declares the tables and columns where a person's participant id or Discord id can
sit (`personal_columns`) and implements the three methods below. Declaring columns without the
methods fails when the class is defined, so a new table cannot quietly escape erasure; the
schema test fails for a column holding a person's id that no owner declares.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bot.store.db import Database, Tx

# Tables that hold nothing about any one person, each with the reason (checked by the schema test,
# so a new table has to be classified here or claimed by an owner).
IMPERSONAL_TABLES: Mapping[str, str] = {
    "app_secrets": "the pseudonym key; no person's data",
    "schema_migrations": "which migrations the database has had, and when",
    "guild_config": "server settings: role ids (and names from before ids) and channel ids",
    "sessions": "a café's plan, times and channels",
    "rooms": "breakout rooms of a café",
    "cafe_categories": "the categories holding a large café's rooms",
    "rounds": "the rounds of a café",
    "round_prompts": "prompts as posted by the bot",
    "summaries": "facilitators' writing; flagged for review by the contributions owner when it may quote a person",
    "summary_offers": "the message offering each room's summary, by room and round",
    "scheduled_steps": "the café's timeline",
    "exports": "what was exported, as counts",
    "after_cafe": "a café's feedback form period, draw commitment and report sending",
    "feedback_answers": "feedback answers, stored with no person, pseudonym, order or time finer than the hour",
    "command_syncs": "a hash of the slash commands as last synced, per application and scope",
}


@dataclass(frozen=True)
class PersonRef:
    """Who is being erased or shown: the Discord id (how staff rows name them) and, when Blether
    has met them as a participant, the internal participant id."""

    discord_user_id: int
    participant_id: int | None


@dataclass(frozen=True)
class ErasureScope:
    """One server's cafés (an organiser's erasure) or every server (the data controller's)."""

    guild_id: int | None

    @classmethod
    def server(cls, guild_id: int) -> ErasureScope:
        return cls(guild_id)

    @classmethod
    def everywhere(cls) -> ErasureScope:
        return cls(None)

    @property
    def label(self) -> str:
        return "every server" if self.guild_id is None else f"server {self.guild_id}"

    def sessions(self, column: str = "session_id", *, at: int = 2) -> tuple[str, tuple[object, ...]]:
        """A WHERE fragment keeping rows whose `column` is a session in scope; its parameter (if
        any) is ``$at``, so it follows the statement's own parameters."""
        if self.guild_id is None:
            return "1 = 1", ()
        return f"{column} IN (SELECT id FROM sessions WHERE guild_id = ${at})", (self.guild_id,)

    def guild(self, column: str = "guild_id", *, at: int = 2) -> tuple[str, tuple[object, ...]]:
        """A WHERE fragment keeping rows whose `column` is the server in scope (parameter ``$at``)."""
        if self.guild_id is None:
            return "1 = 1", ()
        return f"{column} = ${at}", (self.guild_id,)


Rows = dict[str, list[dict[str, object]]]

_CONTRACT = ("erase_person", "person_rows", "sessions_holding")


class PersonalData(ABC):
    """A repository that holds personal data. Subclasses set `personal_columns` and implement
    every method; the class statement itself fails otherwise."""

    # table → the columns in it that hold a participant id or a Discord user id.
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, db: Database) -> None:
        self.db = db

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.personal_columns:
            raise TypeError(f"{cls.__name__} joins the personal-data contract without naming its personal_columns")
        missing = [name for name in _CONTRACT if getattr(cls, name) is getattr(PersonalData, name)]
        if missing:
            raise TypeError(
                f"{cls.__name__} holds personal data in {sorted(cls.personal_columns)} but does not say how to "
                f"{', '.join(missing)}: implement them, or a person's rows would survive their erasure"
            )

    @abstractmethod
    async def erase_person(self, conn: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Inside the caller's transaction: remove (or unname) the person's rows in scope.

        Returns counts keyed "table" for rows deleted and "table.column" for values changed."""

    @abstractmethod
    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        """The person's rows in scope, keyed by a name they can read, with other people's ids hidden."""

    @abstractmethod
    async def sessions_holding(self, conn: Tx, person: PersonRef) -> set[int]:
        """The sessions in which rows tied to the person's participant row are still held, on any
        server: the participant row and a series' pseudonym stay while any remain."""


def hide(row: dict[str, object], column: str, label: str) -> dict[str, object]:
    """Replace someone else's id in a row shown to a person with who they were, not which one."""
    if row.get(column) is not None:
        row[column] = label
    return row
