"""Loading and checking plans on disk: by id, by path, and the report `blether plans check` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.plan import PlanError
from bot.services.plans import (
    DEFAULT_PLANS_DIR,
    PlanNotFound,
    PlanSummary,
    check_path,
    format_check_report,
    list_plans,
    load_plan,
)

SHIPPED_ID = "whats-next-for-recovery"
SHIPPED_TEXT = (DEFAULT_PLANS_DIR / SHIPPED_ID / "plan.yaml").read_text(encoding="utf-8")


def write_plan(plans_dir: Path, folder: str, text: str) -> Path:
    path = plans_dir / folder / "plan.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def shipped_as(plan_id: str) -> str:
    return SHIPPED_TEXT.replace(f"id: {SHIPPED_ID}", f"id: {plan_id}", 1)


def test_default_plans_dir_is_the_repository_prompts_folder() -> None:
    assert DEFAULT_PLANS_DIR.name == "prompts"
    assert (DEFAULT_PLANS_DIR / SHIPPED_ID / "plan.yaml").is_file()


async def test_load_shipped_plan_by_id() -> None:
    plan = await load_plan(SHIPPED_ID)

    assert plan.id == SHIPPED_ID
    assert plan.total_minutes == 55


async def test_load_plan_by_file_path_and_by_folder_path(tmp_path: Path) -> None:
    path = write_plan(tmp_path, "anywhere", shipped_as("my-cafe"))

    assert (await load_plan(str(path))).id == "my-cafe"
    assert (await load_plan(str(path.parent))).id == "my-cafe"


async def test_unknown_plan_names_the_available_ones(tmp_path: Path) -> None:
    write_plan(tmp_path, "alpha", shipped_as("alpha"))
    write_plan(tmp_path, "beta", shipped_as("beta"))
    (tmp_path / "not-a-plan").mkdir()

    with pytest.raises(PlanNotFound) as caught:
        await load_plan("gamma", plans_dir=tmp_path)

    assert caught.value.available == ["alpha", "beta"]
    assert str(caught.value) == "There is no plan called 'gamma'. Available plans: alpha, beta."


async def test_unknown_plan_with_no_plans_at_all(tmp_path: Path) -> None:
    with pytest.raises(PlanNotFound, match="no plans are available"):
        await load_plan("gamma", plans_dir=tmp_path / "missing")


async def test_broken_plan_raises_plan_error_with_every_problem(tmp_path: Path) -> None:
    write_plan(tmp_path, "broken", shipped_as("broken").replace("minutes: 15", "minutes: 999"))

    with pytest.raises(PlanError) as caught:
        await load_plan("broken", plans_dir=tmp_path)

    assert [p.location for p in caught.value.problems] == ["rounds[2].minutes"]


async def test_plan_found_by_id_must_match_its_folder(tmp_path: Path) -> None:
    write_plan(tmp_path, "folder-name", shipped_as("other-id"))

    with pytest.raises(PlanError, match="id: is 'other-id' but the plan's folder is 'folder-name'"):
        await load_plan("folder-name", plans_dir=tmp_path)


async def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"title: caf\xe9\n")

    with pytest.raises(PlanError, match="is not UTF-8 text"):
        await load_plan(str(path))


async def test_list_plans_summarises_good_plans_and_skips_broken_ones(tmp_path: Path) -> None:
    write_plan(tmp_path, "good", shipped_as("good"))
    write_plan(tmp_path, "bad", "id: bad\n")

    assert await list_plans(tmp_path) == [
        PlanSummary(id="good", title="What's next for recovery?", rounds=3, minutes=55)
    ]


async def test_list_shipped_plans() -> None:
    assert SHIPPED_ID in [summary.id for summary in await list_plans()]


def test_check_shipped_prompts_folder_passes() -> None:
    results = check_path(None)

    text, code = format_check_report(results)

    assert code == 0
    assert all(result.ok for result in results)
    assert text.startswith("✓ ")
    assert f"{SHIPPED_ID}/plan.yaml: 3 rounds, 55 minutes" in text
    assert text.endswith("all good.")


def test_check_broken_plan_lists_every_problem_and_fails(tmp_path: Path) -> None:
    write_plan(tmp_path, "good", shipped_as("good"))
    broken = shipped_as("bad").replace("minutes: 20\n    rotate: true", "minutes: 0\n    rotate: true")
    broken = broken.replace("{{ room.name }}, with", "{{ room.nmae }}, with")
    write_plan(tmp_path, "bad", broken)

    results = check_path(tmp_path)
    text, code = format_check_report(results)

    assert code == 1
    assert [result.ok for result in results] == [False, True]
    assert "bad/plan.yaml: 2 problems" in text
    assert "    rounds[1].minutes: must be a whole number of minutes between 1 and 240 (got 0)" in text
    assert "    rounds[1].prompt: unknown variable 'room.nmae'" in text
    assert "good/plan.yaml: 3 rounds, 55 minutes" in text
    assert text.endswith("2 plans checked, 1 with problems.")


def test_check_a_single_file_or_plan_folder(tmp_path: Path) -> None:
    path = write_plan(tmp_path, "x", "id: x\ntitle: [unclosed\n")

    for target in (path, path.parent):
        (result,) = check_path(target)
        assert result.problems[0].location.endswith("plan.yaml:3:1")
        assert format_check_report([result])[1] == 1


def test_check_missing_path_or_empty_folder_fails(tmp_path: Path) -> None:
    missing = check_path(tmp_path / "nope")
    empty = check_path(tmp_path)

    assert missing[0].problems[0].message == "no such file or folder"
    assert empty[0].problems[0].message.startswith("no plans here")
    assert format_check_report(missing + empty)[1] == 1


async def test_plans_are_parsed_again_only_when_their_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import bot.services.plans as plans_module

    path = write_plan(tmp_path, "cached", shipped_as("cached"))
    parsed: list[str] = []
    real_parse = plans_module.parse_plan

    def counting_parse(text: str, *, source: str) -> object:
        parsed.append(source)
        return real_parse(text, source=source)

    monkeypatch.setattr(plans_module, "parse_plan", counting_parse)
    for _ in range(5):
        assert [s.id for s in await list_plans(tmp_path)] == ["cached"]
    assert len(parsed) == 1

    path.write_text(shipped_as("cached").replace("title:", "title: Renamed\nx_title:", 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not await list_plans(tmp_path)  # the edit broke the plan: it is parsed again and left out
    assert len(parsed) == 2
    assert not await list_plans(tmp_path)
    assert len(parsed) == 2  # a broken plan is remembered too
