"""Café plans: the reusable script a session is scheduled from.

A plan is data written by organisers in YAML (see ``prompts/``). Organisers are not
programmers, so every mistake in a plan file must come back as a plain message that
names the place to fix (``rounds[2].minutes: must be a whole number of minutes …``),
all problems at once, and never as a traceback. Message texts in a plan are jinja2
templates rendered in a sandbox, so a plan file can fill in the café title or the room
name but cannot reach into the bot.

This module is pure: it parses text it is given and does no I/O.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Final, Literal

import yaml
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.core import templating
from bot.core.templating import TemplateLimitError

MIN_ROUND_MINUTES: Final = 1
MAX_ROUND_MINUTES: Final = 240
MIN_ROOM_SIZE: Final = 2
MAX_ROOM_SIZE: Final = 25
#: A rendered message must fit in one Discord message, or posting it fails mid-café.
MAX_MESSAGE_CHARS: Final = 2000

SLUG_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
#: Text that must say something: surrounding whitespace (such as the newline a YAML
#: ``|`` block ends with) is dropped, and what is left may not be empty.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True)]

#: Every variable a plan template may use, with what it holds. The error message for an
#: unknown variable lists these, and the README documents them from here.
TEMPLATE_VARIABLES: Final[Mapping[str, str]] = {
    "cafe.title": "the café's title, e.g. \"What's next for recovery?\"",
    "cafe.date": 'the day the café starts, e.g. "Saturday 5 December 2026"',
    "cafe.time": 'the local start time on a 24-hour clock, e.g. "18:30"',
    "cafe.timezone": 'the time zone the date and time are shown in, e.g. "Europe/London"',
    "round.number": "this round's number, counting from 1 (0 outside a round)",
    "round.title": "this round's title (empty outside a round)",
    "round.minutes": "how many minutes this round lasts (0 outside a round)",
    "round.total": "how many rounds the café has",
    "room.name": 'the name of the room the message is posted in, e.g. "Room 2"',
    "room.number": "the breakout room's number, counting from 1 (0 outside a breakout room)",
    "server.retention_days": "how many days after the café this server keeps recorded words (its retention period)",
}

_NAMESPACES: Final = frozenset(name.split(".", 1)[0] for name in TEMPLATE_VARIABLES)
_NEUTRAL_ROOM_NAME: Final = "the café"

#: The single template environment for plans. Sandboxed and bounded (see
#: :mod:`bot.core.templating`) so templates cannot reach Python internals or exhaust the
#: bot; strict so a misspelt variable is an error rather than silently empty text; no
#: autoescape because the output is chat text, not HTML.
TEMPLATE_ENV: Final = templating.sandbox(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=256)
def _compile(template: str) -> Template:
    """Compile once per distinct text: the same prompts are rendered for every room."""
    return TEMPLATE_ENV.from_string(template)


def render(template: str, context: Mapping[str, object]) -> str:
    """Render a plan template in the sandbox.

    ``context`` should come from :func:`template_context`, which always supplies every
    variable in :data:`TEMPLATE_VARIABLES`; templates are checked against that set when
    the plan is parsed, so rendering a valid plan with it does not fail.
    """
    return templating.render(_compile(template), context)


async def render_async(template: str, context: Mapping[str, object]) -> str:
    """:func:`render` in a worker thread, for services: a template at its limits must not stall the bot."""
    return await templating.render_async(_compile(template), context)


def template_context(
    *,
    cafe_title: str,
    starts_at_local: datetime,
    timezone: str,
    round_number: int | None = None,
    round_title: str | None = None,
    round_minutes: int | None = None,
    round_total: int | None = None,
    room_name: str | None = None,
    room_number: int | None = None,
    retention_days: int | None = None,
) -> dict[str, object]:
    """Build the variables for rendering a plan template.

    The one place that decides what ``cafe.date`` and friends look like. Round and room
    values left out fall back to neutral ones, so every template renders wherever it is
    posted (a welcome in the lobby has no round, a broadcast has no room). The server's
    retention period has no neutral value: without it, a template that states it fails rather
    than state a period that is not true.
    """
    context: dict[str, object] = {
        "cafe": {
            "title": cafe_title,
            "date": f"{starts_at_local:%A} {starts_at_local.day} {starts_at_local:%B %Y}",
            "time": f"{starts_at_local:%H:%M}",
            "timezone": timezone,
        },
        "round": {
            "number": round_number or 0,
            "title": round_title or "",
            "minutes": round_minutes or 0,
            "total": round_total or 0,
        },
        "room": {
            "name": room_name or _NEUTRAL_ROOM_NAME,
            "number": room_number or 0,
        },
    }
    if retention_days is not None:
        context["server"] = {"retention_days": retention_days}
    return context


_SAMPLE_START: Final = datetime(2026, 12, 5, 18, 30)
_SAMPLE_TIMEZONE: Final = "Europe/London"
#: A sample retention period for previews and checks (each server sets its own).
_SAMPLE_RETENTION_DAYS: Final = 30


def _sample(
    title: str, round_total: int, round_number: int | None = None, round_: Mapping[str, Any] | None = None
) -> dict[str, object]:
    """Sample values shared by :func:`sample_context` and the parse-time template check."""
    round_ = round_ or {}
    minutes = round_.get("minutes")
    return template_context(
        cafe_title=title,
        starts_at_local=_SAMPLE_START,
        timezone=_SAMPLE_TIMEZONE,
        round_number=round_number,
        round_title=str(round_.get("title") or f"Round {round_number}") if round_number else None,
        round_minutes=minutes if isinstance(minutes, int) else None,
        round_total=round_total,
        room_name="Room 1",
        room_number=1,
        retention_days=_SAMPLE_RETENTION_DAYS,
    )


class _StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Theme(_StrictModel):
    """A theme an analyst codes the conversation against."""

    id: Slug
    name: Text
    description: OptionalText = ""


#: A content note is read before a prompt; an easy-read version sits beside it in the same message.
MAX_CONTENT_NOTE: Final = 300
MAX_EASY_READ: Final = 600
MAX_WEB_ADDRESS: Final = 500
#: The slowest pace a plan may set: every round at most this many times its written length.
MAX_PACE: Final = 3.0


def _web_address(value: str) -> str:
    """A link people open from chat: a whole https address with no spaces (Discord makes it clickable)."""
    if not value:
        return value
    if not value.startswith("https://") or len(value) <= len("https://") or any(c.isspace() for c in value):
        raise PydanticCustomError("web_address", "must be a web address starting with https:// (with no spaces)")
    return value


WebAddress = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_WEB_ADDRESS)]


class Accessible(_StrictModel):
    """Accessible versions of a message, shown beside it: a British Sign Language video, easy read."""

    bsl_video: WebAddress = Field(default="", description="https link to a BSL video of the same words")
    easy_read: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_EASY_READ)] = ""

    @field_validator("bsl_video")
    @classmethod
    def _bsl_video_is_a_link(cls, value: str) -> str:
        return _web_address(value)

    @model_validator(mode="after")
    def _says_something(self) -> Accessible:
        if not self.bsl_video and not self.easy_read:
            raise PydanticCustomError("empty_accessible", "give a bsl_video link, an easy_read text, or both")
        return self


class Round(_StrictModel):
    """One timed round of conversation, opened by its prompt."""

    id: Slug
    title: Text
    prompt: Text = Field(description="jinja2 template posted when the round starts")
    minutes: int = Field(ge=MIN_ROUND_MINUTES, le=MAX_ROUND_MINUTES, strict=True)
    rotate: bool = Field(default=False, strict=True, description="people move to new rooms for this round")
    content_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_CONTENT_NOTE)] = Field(
        default="", description="what the round touches on, posted before its prompt")
    accessible: Accessible | None = Field(default=None, description="a BSL video and easy read of the prompt")


#: A time warning is at most this long before a round's end.
MAX_WARNING_MINUTES: Final = 30


#: Discord's limits for a modal: five inputs, labels and placeholders this long.
MAX_FEEDBACK_QUESTIONS: Final = 5
MAX_QUESTION_LABEL: Final = 45
MAX_PLACEHOLDER: Final = 100


class FeedbackQuestion(_StrictModel):
    """One field of the feedback form. `rating` asks for a number from 1 to 5."""

    id: Slug
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_LABEL)]
    kind: Literal["rating", "short", "long"] = "long"
    required: bool = Field(default=False, strict=True)
    placeholder: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_PLACEHOLDER)] = ""


def default_feedback_questions() -> list[FeedbackQuestion]:
    return [
        FeedbackQuestion(id="rating", label="How was the café? (1 = poor, 5 = great)", kind="rating",
                         required=True, placeholder="A number from 1 to 5"),
        FeedbackQuestion(id="worked", label="What worked well?"),
        FeedbackQuestion(id="change", label="What should we change?"),
        FeedbackQuestion(id="comment", label="Anything else you'd like to tell us?"),
    ]


class PrizeDraw(_StrictModel):
    """A thank-you draw people may enter after the café (entering never requires answering)."""

    prize: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    winners: int = Field(default=1, ge=1, le=20, strict=True)


class Feedback(_StrictModel):
    """What happens after the café: the feedback form, the optional draw, and report updates."""

    questions: list[FeedbackQuestion] = Field(default_factory=default_feedback_questions, min_length=1,
                                              max_length=MAX_FEEDBACK_QUESTIONS)
    days_open: int = Field(default=7, ge=1, le=90, strict=True)
    prize_draw: PrizeDraw | None = None
    report_updates: bool = Field(default=True, strict=True, description="offer 'tell me when the report is out'")

    @field_validator("questions")
    @classmethod
    def _one_rating_and_unique_ids(cls, questions: list[FeedbackQuestion]) -> list[FeedbackQuestion]:
        _duplicate_ids(questions, "question", "feedback.questions")
        if sum(q.kind == "rating" for q in questions) > 1:
            raise PydanticCustomError("two_ratings", "only one question can be a rating (kind: rating)")
        return questions


def _duplicate_ids(items: Sequence[Theme | Round | FeedbackQuestion], kind: str, field: str) -> None:
    """Refuse repeated ids: exports and timelines refer to rounds and themes by id."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in seen:
            raise PydanticCustomError(
                "duplicate_id",
                "{kind} id '{id}' is used twice ({field}[{first}] and {field}[{second}]); give each {kind} its own id",
                {"kind": kind, "id": item.id, "field": field, "first": seen[item.id], "second": index},
            )
        seen[item.id] = index


#: A select menu offers at most 25 options, each label at most 100 characters.
MAX_TABLE_TOPICS: Final = 25
MAX_TOPIC_CHARS: Final = 100
TopicText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TOPIC_CHARS)]


class Tables(_StrictModel):
    """The café's tables: a topic each (a theme's id, shown as its name, or a short text), and
    whether people choose their table before the café starts. With topics, the café has exactly
    one table per topic, whatever `room_size` says."""

    choose: bool = Field(default=False, strict=True, description="people pick a table after saying yes")
    topics: list[TopicText] = Field(default_factory=list, max_length=MAX_TABLE_TOPICS)

    @model_validator(mode="after")
    def _choice_needs_topics(self) -> Tables:
        if self.choose and not self.topics:
            raise PydanticCustomError("choose_without_topics",
                                      "choose: true needs topics to choose from; list one per table under topics:")
        seen: dict[str, int] = {}
        for index, topic in enumerate(self.topics):
            if topic.casefold() in seen:
                raise PydanticCustomError(
                    "duplicate_topic", "topic '{topic}' is listed twice (topics[{first}] and topics[{second}])",
                    {"topic": topic, "first": seen[topic.casefold()], "second": index})
            seen[topic.casefold()] = index
        return self


class Plan(_StrictModel):
    """A reusable café script. Sessions keep a snapshot, so editing a plan never rewrites history."""

    id: Slug
    title: Text
    description: OptionalText = ""
    version: Text = "1"
    room_size: int = Field(default=6, ge=MIN_ROOM_SIZE, le=MAX_ROOM_SIZE, strict=True)
    welcome: Text
    ground_rules: list[Text] = Field(min_length=1)
    consent_text: Text
    signposting: Text
    closing: Text
    themes: list[Theme] = Field(min_length=1)
    rounds: list[Round] = Field(min_length=1)
    feedback: Feedback = Field(default_factory=Feedback)
    #: minutes before each round's end that every room is told time is nearly up (0: no warning)
    warning_minutes: int = Field(default=2, ge=0, le=MAX_WARNING_MINUTES, strict=True)
    tables: Tables = Field(default_factory=Tables)
    welcome_accessible: Accessible | None = Field(default=None, description="a BSL video and easy read of the welcome")
    pace: float = Field(default=1.0, ge=1.0, le=MAX_PACE, description="every round this many times its length")

    @field_validator("pace", mode="before")
    @classmethod
    def _pace_is_a_number(cls, value: object) -> object:
        """``pace: yes`` must not pass as 1; a number (1, 1.5) is what is meant."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError("pace", "must be a number from 1 to {most}, e.g. 1.5 for half as long again",
                                      {"most": MAX_PACE})
        return value

    @model_validator(mode="after")
    def _paced_rounds_fit(self) -> Plan:
        too_long = [i for i, r in enumerate(self.rounds) if _paced(r.minutes, self.pace) > MAX_ROUND_MINUTES]
        if too_long:
            raise PydanticCustomError(
                "pace_too_slow", "at this pace rounds[{index}] would last over {most} minutes; choose a lower pace",
                {"index": too_long[0], "most": MAX_ROUND_MINUTES})
        return self

    def paced(self) -> Plan:
        """The plan as a café runs it: each round's minutes multiplied by the pace (rounded up).

        Applied once, when a café is scheduled, so the session's snapshot, its steps and every
        "20 minutes" people read agree; the snapshot's pace is then 1, so it is never applied twice.
        """
        if self.pace == 1.0:
            return self
        rounds = [r.model_copy(update={"minutes": _paced(r.minutes, self.pace)}) for r in self.rounds]
        return self.model_copy(update={"rounds": rounds, "pace": 1.0})

    @field_validator("version", mode="before")
    @classmethod
    def _version_may_be_a_number(cls, value: object) -> object:
        """``version: 2`` is what people write; YAML reads it as a number."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("rounds")
    @classmethod
    def _unique_round_ids(cls, rounds: list[Round]) -> list[Round]:
        _duplicate_ids(rounds, "round", "rounds")
        return rounds

    @field_validator("themes")
    @classmethod
    def _unique_theme_ids(cls, themes: list[Theme]) -> list[Theme]:
        _duplicate_ids(themes, "theme", "themes")
        return themes

    def table_topics(self) -> list[str]:
        """Each table's topic as people read it: a theme's id becomes its name."""
        names = {theme.id: theme.name for theme in self.themes}
        return [names.get(topic, topic) for topic in self.tables.topics]

    @property
    def total_minutes(self) -> int:
        """Length of the conversation rounds, for the schedule and plan listings."""
        return sum(round_.minutes for round_ in self.rounds)

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable copy a session stores, frozen against later plan edits."""
        return self.model_dump(mode="json")

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_snapshot`; a damaged snapshot raises :class:`PlanError`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise PlanError(_validation_problems(exc)) from None


def _paced(minutes: int, pace: float) -> int:
    return math.ceil(minutes * pace - 1e-9)


@dataclass(frozen=True)
class PlanProblem:
    """One thing wrong with a plan, and where: ``rounds[2].minutes`` or ``plan.yaml:12:5``."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class PlanError(ValueError):
    """A plan that cannot be used, with every problem found so they can all be fixed at once."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        if not problems:
            raise ValueError("PlanError needs at least one problem")
        self.problems: list[PlanProblem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def sample_context(plan: Plan, round_number: int | None = None) -> dict[str, object]:
    """Example variables for previewing a plan's messages (and checking they render).

    With ``round_number`` (counting from 1) the round variables describe that round;
    without it they are neutral, as for the welcome or closing.
    """
    round_ = plan.rounds[round_number - 1].model_dump() if round_number else None
    return _sample(plan.title, len(plan.rounds), round_number, round_)


# --- parsing ---------------------------------------------------------------------------


class _PlanLoader(yaml.SafeLoader):
    """Safe YAML loading that refuses a key written twice (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice here; keep only one", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML_HINTS: Final = (
    ("mapping values are not allowed", "is there a ':' inside a value? Put that text in quotes or in a | block"),
    ("found character '\\t'", "indent with spaces, not tabs"),
    ("could not find expected ':'", "each line needs 'key: value', or the text needs quotes"),
    ("expected <block end>", "check the indentation: this line should line up with the ones above it"),
    ("found undefined alias", "'*' starts a YAML alias; put text beginning with '*' in quotes"),
)


def _yaml_problem(exc: yaml.YAMLError, source: str) -> PlanProblem:
    """Turn a PyYAML error into ``source:line:col: what went wrong``."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = exc.problem or "this is not valid YAML"
        if exc.context:
            message = f"{message} ({exc.context}"
            if exc.context_mark is not None and exc.context_mark.line != mark.line:
                message += f" that starts on line {exc.context_mark.line + 1}"
            message += ")"
        hint = next((hint for needle, hint in _YAML_HINTS if needle in message), None)
        if hint:
            message = f"{message} — {hint}"
        return PlanProblem(f"{source}:{mark.line + 1}:{mark.column + 1}", message)
    if isinstance(exc, yaml.reader.ReaderError):
        return PlanProblem(source, f"contains a character YAML cannot read at position {exc.position}")
    return PlanProblem(source, "this is not valid YAML")


def parse_plan(text: str, *, source: str) -> Plan:
    """Parse a plan from YAML text, or raise :class:`PlanError` listing every problem.

    ``source`` names the text in YAML error locations (``plan.yaml:12:5``). Besides the
    shape of the data, every template is rendered with sample values, so an unknown
    variable or a syntax error is found now rather than in the middle of a café.
    """
    try:
        data = yaml.load(text, Loader=_PlanLoader)  # _PlanLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise PlanError([_yaml_problem(exc, source)]) from None
    if data is None:
        raise PlanError([PlanProblem(source, "the plan is empty")])
    if not isinstance(data, dict):
        raise PlanError([PlanProblem(source, "the plan must be a set of 'key: value' lines (id:, title:, rounds: …)")])
    problems = list(_raw_template_problems(data))
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_validation_problems(exc) + problems) from None
    if problems:
        raise PlanError(problems)
    return plan


# --- readable validation messages ------------------------------------------------------


def _location(loc: tuple[int | str, ...]) -> str:
    """``("rounds", 2, "minutes")`` → ``rounds[2].minutes``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "plan"


_NESTED_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "rounds": Round, "themes": Theme, "feedback": Feedback, "questions": FeedbackQuestion, "prize_draw": PrizeDraw,
    "tables": Tables,
    "accessible": Accessible, "welcome_accessible": Accessible,
}

_NUMBER_RANGES: Final[Mapping[str, str]] = {
    "minutes": f"must be a whole number of minutes between {MIN_ROUND_MINUTES} and {MAX_ROUND_MINUTES}",
    "room_size": f"must be a whole number of people between {MIN_ROOM_SIZE} and {MAX_ROOM_SIZE}",
}

_AT_LEAST_ONE: Final[Mapping[str, str]] = {
    "ground_rules": "needs at least one ground rule",
    "themes": "needs at least one theme",
    "rounds": "needs at least one round",
}

_MESSAGES: Final[Mapping[str, str]] = {
    "missing": "is missing; add it",
    "string_type": "must be text (put it in quotes if it looks like a number, yes/no or a date)",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": (
        "must be a short id of lowercase letters, digits and hyphens, e.g. 'what-can-we-build-on'"
    ),
    "string_too_long": "is too long; keep ids to 64 characters",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list, one item per line starting with '- '",
    "too_short": "needs at least one item",
    "model_type": "must be a set of 'key: value' lines",
    "model_attributes_type": "must be a set of 'key: value' lines",
    "dict_type": "must be a set of 'key: value' lines",
}


def _shown(value: object) -> str:
    """A short echo of what was written, for messages like ``(got 0)``; bulky values are skipped."""
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    return f" (got {text if len(text) <= 40 else text[:37] + '...'})"


def _message(error: ErrorDetails) -> str:
    """Say in plain words what is wrong and how to fix it, from one pydantic error."""
    loc = error["loc"]
    kind = error["type"]
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "extra_forbidden":
        model: type[BaseModel] = Plan
        for part in loc[:-1]:
            if isinstance(part, str):
                model = _NESTED_MODELS.get(part, model)
        allowed = list(model.model_fields)
        message = f"unknown key '{field}'; the keys allowed here are {', '.join(allowed)}"
        close = difflib.get_close_matches(str(field), allowed, n=1)
        return f"{message}. Did you mean '{close[0]}'?" if close else message
    if field in _NUMBER_RANGES and loc[-1] == field and kind != "missing":
        return _NUMBER_RANGES[field] + _shown(error["input"])
    if kind == "too_short" and field in _AT_LEAST_ONE and loc[-1] == field:
        return _AT_LEAST_ONE[field]
    if kind == "string_too_long" and field != "id":
        limit = (error.get("ctx") or {}).get("max_length")
        return f"is too long; keep it to {limit} characters"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    return error["msg"]


def _validation_problems(exc: ValidationError) -> list[PlanProblem]:
    return [PlanProblem(_location(error["loc"]), _message(error)) for error in exc.errors(include_url=False)]


# --- template checks -------------------------------------------------------------------


def _dotted_name(node: nodes.Node) -> str | None:
    """``cafe.title`` or ``cafe['title']`` as a dotted name; None for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted_name(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _dotted_name(node.node)
        return f"{base}.{node.arg.value}" if base else None
    return None


def _is_known(name: str) -> bool:
    """A template variable, a namespace of them (``cafe``), or something read off one (``cafe.title.upper``)."""
    parts = name.split(".")
    prefixes = {".".join(parts[:length]) for length in range(1, len(parts) + 1)}
    if prefixes & TEMPLATE_VARIABLES.keys():
        return True
    return any(variable.startswith(name + ".") for variable in TEMPLATE_VARIABLES)


def _unknown_variables(ast: nodes.Template) -> Iterator[str]:
    """Every unknown variable a template reads, in order, each once.

    Found from the parsed template rather than by rendering, so the message can name the
    whole dotted name (``cafe.titel``) and list all of them, not just the first.
    """
    from_context = meta.find_undeclared_variables(ast) - TEMPLATE_ENV.globals.keys()
    reported: set[str] = set()
    for node in ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        name = _dotted_name(node)
        if name is None or name.split(".", 1)[0] not in from_context:
            continue
        if not _is_known(name) and not any(name.startswith(seen + ".") for seen in reported):
            reported.add(name)
            yield name


def _unknown_variable_message(name: str) -> str:
    available = ", ".join(TEMPLATE_VARIABLES)
    message = f"unknown variable '{name}' — available: {available}"
    close = difflib.get_close_matches(name, list(TEMPLATE_VARIABLES), n=1)
    return f"{message}. Did you mean '{close[0]}'?" if close else message


def check_template(template: str, context: Mapping[str, object]) -> list[str]:
    """Everything wrong with one template, as plain messages (empty if it is fine).

    Checks syntax, unknown variables, that it renders in the sandbox with ``context``,
    and that the result is neither empty nor too long to post as one message.
    """
    try:
        ast = TEMPLATE_ENV.parse(template)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on line {exc.lineno} of this text: {exc.message}"]
    unknown = [_unknown_variable_message(name) for name in _unknown_variables(ast)]
    if unknown:
        return unknown
    try:
        text = render(template, context)
    except TemplateLimitError as exc:
        return [f"too much for a template: {exc.message}"]
    except SecurityError as exc:
        return [f"not allowed in a template: {exc.message}"]
    except UndefinedError as exc:
        return [f"unknown variable: {exc.message}"]
    except Exception as exc:  # a template can fail in many ways; the author needs words, not a traceback
        return [f"this template fails when filled in: {exc}"]
    if not text.strip():
        return ["renders as empty text"]
    if len(text) > MAX_MESSAGE_CHARS:
        return [f"renders as {len(text)} characters; keep it under {MAX_MESSAGE_CHARS} so it fits in one message"]
    return []


_TEMPLATE_FIELDS: Final = ("welcome", "consent_text", "signposting", "closing")


def _raw_template_problems(data: Mapping[str, Any]) -> Iterator[PlanProblem]:
    """Check the templates in not-yet-validated plan data.

    Works on the raw data so template problems are reported together with any other
    problem in the file; values of the wrong type are left to the model's own messages.
    """
    raw_title, raw_rounds = data.get("title"), data.get("rounds")
    title = raw_title if isinstance(raw_title, str) else "Sample café"
    rounds: list[Any] = raw_rounds if isinstance(raw_rounds, list) else []
    neutral = _sample(title, len(rounds))
    for field in _TEMPLATE_FIELDS:
        value = data.get(field)
        if isinstance(value, str):
            for message in check_template(value, neutral):
                yield PlanProblem(field, message)
    for index, round_ in enumerate(rounds):
        if isinstance(round_, dict) and isinstance(round_.get("prompt"), str):
            context = _sample(title, len(rounds), index + 1, round_)
            for message in check_template(round_["prompt"], context):
                yield PlanProblem(f"rounds[{index}].prompt", message)
