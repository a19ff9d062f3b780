"""The report comes back to the people who spoke: "tell me when the report is out" is an opt-in
offered at the close, and `/cafe report-published` sends everyone on the list a DM, records that
it did, and erases the list. People whose DMs are closed are counted, not chased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.services.cafes import Cafes
from bot.services.feedback import dm_counted, open_after_cafe, require_attendee
from bot.services.messages import message_async
from bot.store.after_cafe import AfterCafeRepo

MAX_LINK = 500
MAX_NOTE = 1000
_LINK = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)


@dataclass(frozen=True)
class Published:
    cafes: tuple[int, ...]
    sent: int
    dms_closed: int


class ReportBackService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.repo = AfterCafeRepo(cafes.db)

    async def subscribe(self, session_id: int, user_id: int) -> str:
        session, after = await open_after_cafe(self.cafes, self.repo, session_id)
        if not CafeFacts.of(session).plan.feedback.report_updates:
            raise UserError(f"Café #{session_id} doesn't offer report updates.")
        if after.report_sent_at is not None:
            raise UserError(f"The report from café #{session_id} is already out: {after.report_link}")
        await require_attendee(self.repo, session, user_id)
        if not await self.repo.subscribe(session_id, user_id):
            return f"You're already on the list: Blether will DM you when café #{session_id}'s report is out."
        return (f"Thank you. Blether will DM you once when café #{session_id}'s report is published, then forget "
                "that you asked. `/mydata` shows it meanwhile.")

    async def publish(self, guild_id: int, actor_id: int, link: str, note: str, *, session_id: int | None = None,
                      series: str | None = None) -> Published:
        link, note = link.strip(), note.strip()
        if not _LINK.fullmatch(link) or len(link) > MAX_LINK:
            raise UserError(f"The link must be a web address starting with https:// (up to {MAX_LINK} characters).")
        if len(note) > MAX_NOTE:
            raise UserError(f"The note is {len(note)} characters; keep it to {MAX_NOTE}.")
        ids = await self._cafes(guild_id, session_id, series)
        first = await self.cafes.require(ids[0], guild_id)
        people = await self.repo.subscribers(ids)
        text = await message_async("report_published", session=first, series=series, link=link, note=note)
        sent = sum([await dm_counted(self.cafes, user_id, text) for user_id in people])
        await self.repo.report_sent(ids, link)
        await self.cafes.audit.record(guild_id, session_id, actor_id, "report_published",
                                      f"cafes={','.join(map(str, ids))} sent={sent} dms_closed={len(people) - sent} "
                                      f"link={link}")
        return Published(tuple(ids), sent, len(people) - sent)

    async def _cafes(self, guild_id: int, session_id: int | None, series: str | None) -> list[int]:
        if (session_id is None) == (series is None):
            raise UserError("Choose either a café (`cafe`) or a `series`, not both.")
        if session_id is not None:
            await open_after_cafe(self.cafes, self.repo, session_id, guild_id)
            return [session_id]
        found = [s.id for s in await self.cafes.sessions.list_for_guild(guild_id) if s.series == series
                 and await self.repo.get(s.id) is not None]
        if not found:
            raise UserError(f"No closed café in the series “{series}” on this server.")
        return found
