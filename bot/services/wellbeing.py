"""Looking after people in the café: agreeing to the ground rules, and taking words off the record.

The agreement is kept beside the consent ledger with a fingerprint of the rules as shown (as
consent keeps its text's), so a later edit of a plan's rules is visible; `/mydata` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.consent import consent_version
from bot.services.cafes import Cafes
from bot.store.contributions import ContributionRepo
from bot.store.wellbeing import WellbeingRepo


@dataclass(frozen=True)
class Acknowledged:
    first_time: bool
    rules: list[str]


class WellbeingService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.store = WellbeingRepo(cafes.db)
        self.contributions = ContributionRepo(cafes.db)

    async def acknowledge_rules(self, session_id: int, discord_user_id: int, guild_id: int | None) -> Acknowledged:
        """Record that the person agreed to this café's ground rules (the first agreement stands)."""
        session = await self.cafes.require(session_id, guild_id)
        rules = list(self.cafes.facts(session).plan.ground_rules)
        first = await self.store.acknowledge(session.id, discord_user_id, consent_version("\n".join(rules)))
        return Acknowledged(first, rules)

    async def remove_from_record(self, message_id: int, actor_id: int, guild_id: int) -> int | None:
        """A facilitator takes a message out of the record: the contribution leaves the store (so
        every later export), and the audit keeps who, when and which contribution id, never the
        text. The message itself is left to Discord's own moderation. None: nothing was kept."""
        removed = await self.contributions.remove_from_record(message_id, guild_id)
        if removed is None:
            return None
        contribution_id, session_id = removed
        await self.cafes.audit.record(guild_id, session_id, actor_id, "remove_from_record",
                                      f"contribution={contribution_id}")
        return contribution_id
