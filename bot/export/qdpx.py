"""REFI-QDA project export (.qdpx): a zip of ``project.qde`` and the plain-text sources.

NVivo, ATLAS.ti, MAXQDA and QualCoder import it with every contribution already a coded
selection: its round, the theme a facilitator gave it as a key point, whether it was a key point,
and its author as a case. Each room summary is a source of its own, coded with its round, and a
note on the conversation's source it summarises.

Everything streams. Cases come before Sources in the schema, so the contributions are read
twice: once by pseudonym to write each case with references to its selections (whose GUIDs are
derived from the contribution reference, so they are known before the selection is written),
then by round and room to write the source texts into the zip and their selections into
``project.qde``, which is staged in a scratch file and added to the zip last.
"""

from __future__ import annotations

import asyncio
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

from bot.export.codebook import (
    KEY_POINT_GUID,
    TABLE_HOST_GUID,
    Codebook,
    build_codebook,
    codebook_element,
    round_code_guid,
    theme_code_guid,
)
from bot.export.context import WITHDRAWAL_NOTICE, ExportContext, Output
from bot.export.guids import guid, selection_guid, source_guid
from bot.export.rows import ExportRow, prompt_for
from bot.export.scope import SessionInfo
from bot.export.sink import SectionedSink, Sink
from bot.export.xmltext import xml_text

PROJECT_NS = "urn:QDA-XML:project:1.0"
VARIABLES = {  # name -> (guid, type)
    "Session": (guid("variable", "session"), "Text"),
    "Series": (guid("variable", "series"), "Text"),
    "Date": (guid("variable", "date"), "Date"),
    "Room": (guid("variable", "room"), "Text"),
    "Round": (guid("variable", "round"), "Text"),
    "Speaker role": (guid("variable", "speaker-role"), "Text"),
}


def _fragment(element: ET.Element, level: int) -> str:
    ET.indent(element, space="  ", level=level)
    return "  " * level + ET.tostring(element, encoding="unicode") + "\n"


def _variable_value(name: str, value: str) -> ET.Element:
    element = ET.Element("VariableValue")
    var_guid, kind = VARIABLES[name]
    ET.SubElement(element, "VariableRef", targetGUID=var_guid)
    ET.SubElement(element, "DateValue" if kind == "Date" else "TextValue").text = xml_text(value)
    return element


def _note_guid(session_id: int, room_number: int, round_number: int | None) -> str:
    return guid("note", session_id, room_number, "session" if round_number is None else round_number)


class _Project:
    """The staged ``project.qde`` text file and the zip the sources stream into."""

    def __init__(self, zip_path: Path, qde_path: Path) -> None:
        self.zip = zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED)
        self.qde_path = qde_path
        self.qde: IO[str] = qde_path.open("w", encoding="utf-8", newline="\n")

    def write(self, text: str) -> None:
        self.qde.write(text)

    def finish(self) -> None:
        self.qde.close()
        self.zip.write(self.qde_path, "project.qde")
        self.zip.close()

    def abandon(self) -> None:
        self.qde.close()
        self.zip.close()


class _CasesSink(Sink):
    """One Case per pseudonym, with variable values and references to its sources and selections."""

    def __init__(self, project: _Project, per_session: bool) -> None:
        self._project = project
        self._per_session = per_session
        self._pseudonym: str | None = None
        self._values: dict[str, dict[str, None]] = {}
        self._sources: dict[str, None] = {}
        self._selections: list[str] = []
        self._opened = False

    def feed(self, rows: Sequence[ExportRow]) -> None:
        for row in rows:
            if row.pseudonym != self._pseudonym:
                self._flush()
                self._pseudonym = row.pseudonym
            for name, value in (
                ("Session", f"S{row.session}"),
                ("Series", row.series),
                ("Room", row.room),
                ("Round", f"Round {row.round_number}: {row.round_title}"),
                ("Speaker role", row.speaker_role),
            ):
                self._values.setdefault(name, {})[value] = None
            key = source_guid(row.session) if self._per_session else source_guid(row.session, *row.block)
            self._sources[key] = None
            self._selections.append(selection_guid(row.contribution))

    def _flush(self) -> None:
        if self._pseudonym is None:
            return
        if not self._opened:
            self._project.write("  <Cases>\n")
            self._opened = True
        case = ET.Element("Case", guid=guid("case", self._pseudonym), name=self._pseudonym)
        case.extend(_variable_value(name, "; ".join(values)) for name, values in self._values.items())
        case.extend(ET.Element("SourceRef", targetGUID=target) for target in self._sources)
        case.extend(ET.Element("SelectionRef", targetGUID=target) for target in self._selections)
        self._project.write(_fragment(case, 2))
        self._pseudonym, self._values, self._sources, self._selections = None, {}, {}, []

    def close(self) -> None:
        self._flush()
        if self._opened:
            self._project.write("  </Cases>\n")


class _SourcesSink(SectionedSink):
    """Writes each source's text into the zip and its coded selections into project.qde."""

    def __init__(self, ctx: ExportContext, project: _Project, clean: Callable[[str], str]) -> None:
        super().__init__(ctx.request)
        self._ctx = ctx
        self._project = project
        self._clean = clean
        self._per_session = ctx.request.qdpx_source_per == "session"
        self._text: io.TextIOWrapper | None = None
        self._position = 0
        self._block: tuple[int, int] | None = None
        self._opened = False

    def _put(self, text: str) -> int:
        """Append to the open source text; return where the text starts, in characters."""
        assert self._text is not None
        start = self._position
        self._text.write(text)
        self._position += len(text)
        return start

    def _open_source(self, s: SessionInfo, block: tuple[int, int] | None) -> None:
        if not self._opened:
            self._project.write("  <Sources>\n")
            self._opened = True
        source = source_guid(s.id) if block is None else source_guid(s.id, *block)
        title = f"{s.ref} {s.local_date.isoformat()} {s.plan_title}"
        if block is not None:
            rnd, room = s.round(block[0]), s.room(block[1])
            title += f", Round {rnd.number}: {rnd.title}, {room.name}"
        self._project.write(
            f"    <TextSource guid={quoteattr(source)} name={quoteattr(xml_text(title))} "
            f"plainTextPath={quoteattr(f'internal://{source}.txt')}>\n"
        )
        description = ET.Element("Description")
        description.text = xml_text(f"{s.series}. {title}. Times in {s.zone.key}.")
        self._project.write(_fragment(description, 3))
        entry = self._project.zip.open(f"Sources/{source}.txt", "w", force_zip64=True)
        self._text = io.TextIOWrapper(entry, encoding="utf-8", newline="")
        self._position = 0
        self._put(f"{title}\n{s.series}\n")

    def _heading(self, s: SessionInfo, round_number: int, room_number: int) -> None:
        rnd, room = s.round(round_number), s.room(room_number)
        self._put(f"\n== Round {rnd.number}: {rnd.title} | {room.name} ==\n")
        topic = self._clean(room.topic or "")
        if topic:
            self._put(f"Room topic: {topic}\n")
        prompt = prompt_for(s, round_number, room_number)
        if prompt:
            self._put(f"Prompt: {prompt}\n")

    def _close_source(self, s: SessionInfo, notes: list[str], values: list[tuple[str, str]]) -> None:
        assert self._text is not None
        self._text.close()
        self._text = None
        tail = [ET.Element("NoteRef", targetGUID=note) for note in notes]
        tail += [_variable_value(name, value) for name, value in values]
        self._project.write("".join(_fragment(element, 3) for element in tail) + "    </TextSource>\n")

    def session_opened(self, session: SessionInfo) -> None:
        if self._per_session:
            self._open_source(session, None)

    def block_opened(self, session: SessionInfo, round_number: int, room_number: int) -> None:
        self._block = (round_number, room_number)
        if self._per_session:
            self._heading(session, round_number, room_number)

    def row(self, row: ExportRow) -> None:
        assert self._session is not None and self._block is not None
        if self._text is None:
            self._open_source(self._session, self._block)
            self._heading(self._session, *self._block)
        label = f"\n{row.pseudonym}{' (table host)' if row.speaker_role == 'host' else ''} " \
                f"({row.time:%H:%M}, {row.contribution}"
        if row.reply_to:
            label += f", replying to {row.reply_to}"
        self._put(label + "):\n")
        start = self._put(row.text)
        self._put("\n")
        selection = ET.Element(
            "PlainTextSelection",
            guid=selection_guid(row.contribution),
            name=f"{row.pseudonym} {row.contribution}",
            startPosition=str(start),
            endPosition=str(start + len(row.text)),
            creationDateTime=row.time.isoformat(timespec="seconds"),
        )
        codes = [round_code_guid(row.round_id)]
        if row.theme:
            codes.append(theme_code_guid(row.theme))
        if row.key_point:
            codes.append(KEY_POINT_GUID)
        if row.speaker_role == "host":
            codes.append(TABLE_HOST_GUID)
        for code in codes:
            coding = ET.SubElement(selection, "Coding", guid=guid("coding", row.contribution, code))
            ET.SubElement(coding, "CodeRef", targetGUID=code)
        self._project.write(_fragment(selection, 3))

    def block_closed(self, session: SessionInfo, round_number: int, room_number: int, rows: int) -> None:
        if self._per_session or self._text is None:
            return
        note = (room_number, round_number)
        notes = [_note_guid(session.id, *note)] if note in session.summaries else []
        values = [
            ("Session", session.ref),
            ("Series", session.series),
            ("Date", session.local_date.isoformat()),
            ("Room", session.room(room_number).name),
            ("Round", f"Round {round_number}: {session.round(round_number).title}"),
        ]
        self._close_source(session, notes, values)

    def session_closed(self, session: SessionInfo) -> None:
        if not self._per_session:
            return
        notes = [_note_guid(session.id, room, rnd) for room, rnd, _ in session.summaries_for(self._ctx.request)]
        values = [("Session", session.ref), ("Series", session.series), ("Date", session.local_date.isoformat())]
        self._close_source(session, notes, values)

    def summaries(self) -> None:
        """One source per room summary the filters keep, after the conversation's sources: its text
        is the summary alone, and the whole source is coded with its round (a whole-session summary
        has none), so an analyst codes the hosts' reading of a room beside the words themselves."""
        assert self._text is None, "every conversation source is closed first"
        for s in self._ctx.sessions:
            for room_number, round_number, found in s.summaries_for(self._ctx.request):
                if not self._opened:
                    self._project.write("  <Sources>\n")
                    self._opened = True
                key = (s.id, room_number, "session" if round_number is None else round_number)
                source = guid("summary-source", *key)
                room, rnd = s.room(room_number), s.round(round_number) if round_number is not None else None
                covers = f"Round {rnd.number}: {rnd.title}" if rnd is not None else "whole session"
                name = f"Summary {s.ref} {room.name}, {covers}"
                self._project.zip.writestr(f"Sources/{source}.txt", self._clean(found.text))
                self._project.write(
                    f"    <TextSource guid={quoteattr(source)} name={quoteattr(xml_text(name))} "
                    f"plainTextPath={quoteattr(f'internal://{source}.txt')}>\n"
                )
                description = ET.Element("Description")
                written = f"Written by {found.writer}." if found.written_by else "Room summary."
                review = " Draft: needs review (it may quote someone who withdrew)." if found.needs_review else ""
                description.text = xml_text(f"{s.series}. {name}. {written}{review}")
                tail: list[ET.Element] = [description]
                if rnd is not None:
                    coding = ET.Element("Coding", guid=guid("coding", "summary", *key))
                    ET.SubElement(coding, "CodeRef", targetGUID=round_code_guid(rnd.key))
                    tail.append(coding)
                values = [("Session", s.ref), ("Series", s.series), ("Date", s.local_date.isoformat()),
                          ("Room", room.name)] + ([("Round", covers)] if rnd is not None else [])
                tail += [_variable_value(var, value) for var, value in values]
                self._project.write("".join(_fragment(element, 3) for element in tail) + "    </TextSource>\n")

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
        if self._opened:
            self._project.write("  </Sources>\n")


def _head(ctx: ExportContext, book: Codebook) -> str:
    request = ctx.request
    name = "Blether: " + (f"session {request.session_id}" if request.session_id is not None else str(request.series))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<Project xmlns={quoteattr(PROJECT_NS)} name={quoteattr(xml_text(name))} origin="Blether">\n',
        _fragment(codebook_element(book), 1),
    ]
    variables = ET.Element("Variables")
    for var_name, (var_guid, kind) in VARIABLES.items():
        ET.SubElement(variables, "Variable", guid=var_guid, name=var_name, typeOfVariable=kind)
    parts.append(_fragment(variables, 1))
    return "".join(parts)


def _tail(ctx: ExportContext, clean: Callable[[str], str]) -> str:
    notes = ET.Element("Notes")
    for s in ctx.sessions:
        for room, rnd, found in s.summaries_for(ctx.request):
            when = "whole session" if rnd is None else f"round {rnd}"
            title = f"Summary {s.ref} {s.room(room).name}, {when}"
            note = ET.SubElement(notes, "Note", guid=_note_guid(s.id, room, rnd), name=xml_text(title))
            if found.needs_review:
                ET.SubElement(note, "Description").text = "Draft: needs review"
            ET.SubElement(note, "PlainTextContent").text = xml_text(clean(found.text))
    description = ET.Element("Description")
    description.text = xml_text(
        f"Exported by Blether at {ctx.exported_at.isoformat()}: {ctx.request.describe()}. {WITHDRAWAL_NOTICE}"
    )
    body = (_fragment(notes, 1) if len(notes) else "") + _fragment(description, 1)
    return body + "</Project>\n"


async def write_qdpx(ctx: ExportContext) -> list[Output]:
    """The REFI-QDA project: one source per room and round (or per session), coded selections."""
    path = ctx.out_dir / f"{ctx.basename}.qdpx"
    book = build_codebook(ctx.sessions, await ctx.stream.themes(ctx.sessions))
    maker = ctx.maker("qdpx")
    project = await asyncio.to_thread(_Project, path, ctx.out_dir / f".{ctx.basename}.qde.part")
    try:
        await asyncio.to_thread(project.write, _head(ctx, book))
        cases = _CasesSink(project, ctx.request.qdpx_source_per == "session")
        await ctx.pump_all(cases, maker, "pseudonym")
        await asyncio.to_thread(cases.close)
        sources = _SourcesSink(ctx, project, maker.clean)
        rows = await ctx.pump(sources, maker, "time")
        await asyncio.to_thread(sources.summaries)
        await asyncio.to_thread(sources.close)
        await asyncio.to_thread(project.write, _tail(ctx, maker.clean))
        await asyncio.to_thread(project.finish)
    except BaseException:
        await asyncio.to_thread(project.abandon)
        raise
    finally:
        await asyncio.to_thread(project.qde_path.unlink, True)
    return [Output(path, rows)]
